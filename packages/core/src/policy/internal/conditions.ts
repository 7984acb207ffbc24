import ipaddr from "ipaddr.js"
import type { Condition } from "../document.js"
import { compileAny } from "./glob.js"

/** A compiled test of one scalar value (a fact or an attribute); undefined when it is absent. */
export type ValueTest = (value: unknown) => boolean

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number]

/** Parses a CIDR block with ipaddr.js; undefined when it is not one. */
export const parseCidr = (text: string): Range | undefined => {
  try {
    return ipaddr.parseCIDR(text)
  } catch {
    return undefined
  }
}

// Parsing an address costs more than the rest of a decision; the same few addresses recur
// (one egress host, many calls), so parses are remembered, within a bound.
const ipCache = new Map<string, ipaddr.IPv4 | ipaddr.IPv6 | null>()
const ipCacheSize = 4096

const parseIp = (text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined => {
  let ip = ipCache.get(text)
  if (ip === undefined) {
    // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address it carries.
    ip = ipaddr.isValid(text) ? ipaddr.process(text) : null
    if (ipCache.size >= ipCacheSize) ipCache.clear()
    ipCache.set(text, ip)
  }
  return ip ?? undefined
}

const needsNormalizing = (host: string): boolean => {
  if (host.charCodeAt(host.length - 1) === 46 /* . */) return true
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i)
    if (c >= 65 && c <= 90) return true
  }
  return false
}

const normalizeHost = (host: string): string => {
  const lower = host.toLowerCase()
  return lower.endsWith(".") ? lower.slice(0, -1) : lower
}

// Every domain-suffix condition of a decision tests the same few facts, so the last host
// normalized is remembered: strings do not change, and the scan is made once per host.
let lastHost = ""
let lastNormalized = ""

/** The host lowercased without its trailing dot; the host itself when that changes nothing. */
const normalized = (host: string): string => {
  if (host !== lastHost) {
    lastHost = host
    lastNormalized = needsNormalizing(host) ? normalizeHost(host) : host
  }
  return lastNormalized
}

const asList = (value: Condition["value"]): ReadonlyArray<unknown> => (Array.isArray(value) ? value : [value])

/**
 * Compiles a condition's comparison. The value has been validated (`validate.ts`): numeric
 * operators carry a number, `cidr` valid blocks, `glob` and `domainSuffix` strings.
 */
export const compileValueTest = (condition: Condition): ValueTest => {
  const { op, value } = condition
  switch (op) {
    case "equals":
      return (v) => v === value
    case "in": {
      const set = new Set(asList(value))
      return (v) => v !== undefined && set.has(v)
    }
    case "glob": {
      const test = compileAny(asList(value) as ReadonlyArray<string>)
      return (v) => typeof v === "string" && test(v)
    }
    case "domainSuffix": {
      const suffixes = (asList(value) as ReadonlyArray<string>).map(normalizeHost)
      const dotted = suffixes.map((s) => `.${s}`)
      const test = (host: string): boolean => {
        for (let i = 0; i < suffixes.length; i++) {
          if (host === suffixes[i] || host.endsWith(dotted[i]!)) return true
        }
        return false
      }
      // Hosts almost always arrive lowercase without a trailing dot: test them as they are,
      // and normalize (which allocates) only when that fails and normalizing could change it.
      return (v) => {
        if (typeof v !== "string") return false
        if (test(v)) return true
        const host = normalized(v)
        return host !== v && test(host)
      }
    }
    case "cidr": {
      const ranges = (asList(value) as ReadonlyArray<string>).map((text) => parseCidr(text)!)
      return (v) => {
        if (typeof v !== "string") return false
        const ip = parseIp(v)
        if (ip === undefined) return false
        for (const [network, bits] of ranges) {
          if (ip.kind() === network.kind() && ip.match(network, bits)) return true
        }
        return false
      }
    }
    case "lt":
      return (v) => typeof v === "number" && v < (value as number)
    case "lte":
      return (v) => typeof v === "number" && v <= (value as number)
    case "gt":
      return (v) => typeof v === "number" && v > (value as number)
    case "gte":
      return (v) => typeof v === "number" && v >= (value as number)
  }
}
