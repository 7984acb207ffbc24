import { Result } from "effect"
import type ipaddr from "ipaddr.js"
import type { EgressBlockReason } from "./EgressError.js"
import { type EgressPolicy, matchAllowlist } from "./policy.js"
import {
  type AddressClass,
  classifyParsed,
  type OpenedRange,
  openableCategories,
  openedRangeOf,
  parseStrictIp
} from "./ranges.js"

/** A refusal by egress policy: the reason (rule `egress.<reason>`) and a human-readable detail. */
export interface EgressBlock {
  readonly reason: EgressBlockReason
  readonly detail: string
  readonly host?: string
  readonly address?: string
}

/** An address that passed the checks, and the opened private block it relied on, if any. */
export interface CheckedAddress {
  readonly address: string
  readonly family: 4 | 6
  readonly openedBy?: string
}

/** A URL that passed every check that needs no DNS. */
export interface UrlTarget {
  readonly url: URL
  readonly scheme: "http" | "https"
  /** Normalized host: lowercase punycode without a trailing dot; IPv6 without brackets. */
  readonly host: string
  readonly port: number
  /** Set when the host is an IP literal: the checked address to connect to (no DNS). */
  readonly literal?: CheckedAddress
}

/** Longest URL accepted; longer ones are refused before parsing. */
export const maxUrlLength = 8192

const block = (reason: EgressBlockReason, detail: string, extra: Partial<EgressBlock> = {}) =>
  Result.fail<EgressBlock>({ reason, detail, ...extra })

/**
 * Host names that name the local machine or a private network and are refused whatever the
 * allowlist says. Single-label names are refused too: resolvers complete them with local
 * search domains, which reaches internal hosts.
 */
export const blockedHostnameRule = (host: string): string | undefined => {
  if (host === "localhost" || host.endsWith(".localhost")) return "names the local machine"
  if (host === "ip6-localhost" || host === "ip6-loopback") return "names the local machine"
  if (host.endsWith(".local")) return "is a multicast DNS (.local) name"
  if (host === "internal" || host.endsWith(".internal")) return "is an internal (.internal) name"
  if (host === "localdomain" || host.endsWith(".localdomain")) return "is a local-domain name"
  if (host === "home.arpa" || host.endsWith(".home.arpa")) return "is a home network (home.arpa) name"
  if (!host.includes(".")) return "is a single-label name, which resolvers complete with local search domains"
  return undefined
}

/**
 * The host as written in the input, before the URL parser normalized it. Used to refuse IPv4
 * literals written in any form other than plain dotted-quad (decimal `2130706433`, octal
 * `0177.0.0.1`, hex `0x7f.1`, shortened `127.1`, percent-encoded, trailing dot, full-width
 * digits): the parser turns them into dotted-quad, so only the raw text shows them.
 */
export const rawHostOf = (input: string): string | undefined => {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/u.exec(input)
  if (scheme === null) return undefined
  const rest = input.slice(scheme[0].length).replace(/^[/\\]*/u, "")
  const authority = rest.split(/[/\\?#]/u, 1)[0] ?? ""
  const hostPort = authority.slice(authority.lastIndexOf("@") + 1)
  if (hostPort.startsWith("[")) return hostPort.slice(0, hostPort.indexOf("]") + 1)
  const colon = hostPort.lastIndexOf(":")
  return colon === -1 ? hostPort : hostPort.slice(0, colon)
}

/**
 * Refuses an IPv4 host that the text wrote in any form but plain dotted-quad. `text` is what
 * was written (a URL, or a redirect Location, possibly scheme-relative); `url` is how it parsed.
 * A Location without its own authority inherits an already checked host and passes.
 */
export const oddIpv4Form = (text: string, url: URL): EgressBlock | undefined => {
  const hostname = url.hostname
  if (!/^[0-9.]+$/u.test(hostname)) return undefined
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:/u.test(text)
  const schemeRelative = /^[/\\]{2}/u.test(text)
  if (!absolute && !schemeRelative) return undefined
  const raw = rawHostOf(absolute ? text : `${url.protocol}${text}`)?.toLowerCase()
  if (raw === hostname) return undefined
  return {
    reason: "ip-literal-form",
    detail: `IPv4 address written as ${JSON.stringify((raw ?? "").slice(0, 64))} (read as ${hostname}); only plain dotted-quad is accepted`,
    host: hostname,
    address: hostname
  }
}

/** Checks one address against the always-blocked ranges and the instance's opened ranges. */
export const checkAddress = (
  parsed: ipaddr.IPv4 | ipaddr.IPv6,
  policy: EgressPolicy,
  host: string
): Result.Result<CheckedAddress, EgressBlock> => {
  const cls: AddressClass = classifyParsed(parsed)
  if (cls.category === "public") return Result.succeed({ address: cls.address, family: cls.family })
  if (cls.category === "metadata") {
    return block("metadata-endpoint", `${cls.address} is a cloud metadata endpoint`, {
      host,
      address: cls.address
    })
  }
  if (openableCategories.has(cls.category)) {
    const opened: OpenedRange | undefined = openedRangeOf(parsed, policy.privateRanges)
    if (opened !== undefined) {
      return Result.succeed({ address: cls.address, family: cls.family, openedBy: opened.cidr })
    }
  }
  const embedded = cls.embeddedIpv4 === undefined ? "" : ` (embeds IPv4 ${cls.embeddedIpv4})`
  return block("blocked-range", `${cls.address} is in a blocked range: ${cls.category}${embedded}`, {
    host,
    address: cls.address
  })
}

const hasControlOrEdgeSpace = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return true
  }
  return /^\s|\s$/u.test(text)
}

/**
 * Checks a URL without touching the network: syntax, scheme, userinfo, port, IP literal
 * forms and ranges, blocked host names, and the allowlist. Pure and synchronous; never throws.
 * A host name still needs `checkAnswers` on its DNS answers before any connection.
 */
export const checkUrl = (input: string, policy: EgressPolicy): Result.Result<UrlTarget, EgressBlock> => {
  if (typeof input !== "string" || input.length === 0) return block("invalid-url", "the URL is empty")
  if (input.length > maxUrlLength) {
    return block("invalid-url", `the URL is ${input.length} characters long (at most ${maxUrlLength})`)
  }
  // The URL parser silently drops tabs and newlines and trims spaces; refusing them keeps the
  // checked text and the requested text the same.
  if (hasControlOrEdgeSpace(input)) {
    return block("invalid-url", "the URL contains control characters or leading/trailing spaces")
  }
  const url = URL.parse(input)
  if (url === null) return block("invalid-url", "the text is not a valid absolute URL")
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return block("blocked-scheme", `scheme ${url.protocol.slice(0, 32)} is not allowed (only http and https)`)
  }
  const scheme = url.protocol === "https:" ? "https" : "http"
  if (url.username !== "" || url.password !== "") {
    return block("userinfo", "URLs with credentials (user:password@) are not allowed", { host: url.hostname })
  }
  const port = url.port === "" ? (scheme === "https" ? 443 : 80) : Number(url.port)
  const hostname = url.hostname
  if (hostname.startsWith("[")) {
    const parsed = parseStrictIp(hostname.slice(1, -1))
    if (parsed === undefined) return block("invalid-url", "the IPv6 literal cannot be read")
    const host = parsed.toString()
    const checked = checkAddress(parsed, policy, host)
    if (Result.isFailure(checked)) return Result.fail(checked.failure)
    return finishLiteral(url, scheme, host, port, checked.success, policy)
  }
  const asIpv4 = /^[0-9.]+$/u.test(hostname) ? parseStrictIp(hostname) : undefined
  if (asIpv4 !== undefined) {
    const odd = oddIpv4Form(input, url)
    if (odd !== undefined) return Result.fail(odd)
    const checked = checkAddress(asIpv4, policy, hostname)
    if (Result.isFailure(checked)) return Result.fail(checked.failure)
    return finishLiteral(url, scheme, hostname, port, checked.success, policy)
  }
  const host = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname
  if (host === "" || host.endsWith(".")) return block("invalid-url", "the host name has an empty label")
  const rule = blockedHostnameRule(host)
  if (rule !== undefined) return block("blocked-hostname", `${host} ${rule}`, { host })
  const portBlock = checkPort(port, policy, host)
  if (portBlock !== undefined) return portBlock
  if (matchAllowlist(host, policy.allowlist) === undefined) {
    return block("not-allowlisted", `${host} is not on the egress allowlist`, { host })
  }
  return Result.succeed({ url, scheme, host, port })
}

const checkPort = (port: number, policy: EgressPolicy, host: string) =>
  port === 80 || port === 443 || policy.allowedPorts.has(port)
    ? undefined
    : block("blocked-port", `port ${port} is not allowed (80, 443 and configured ports only)`, { host })

const finishLiteral = (
  url: URL,
  scheme: "http" | "https",
  host: string,
  port: number,
  literal: CheckedAddress,
  policy: EgressPolicy
): Result.Result<UrlTarget, EgressBlock> => {
  const portBlock = checkPort(port, policy, host)
  if (portBlock !== undefined) return portBlock
  if (matchAllowlist(host, policy.allowlist) === undefined) {
    return block("not-allowlisted", `${host} is not on the egress allowlist`, { host, address: host })
  }
  return Result.succeed({ url, scheme, host, port, literal })
}

/** Most DNS answers considered for one host; more is treated as a resolver fault. */
export const maxAnswers = 64

/**
 * Checks every DNS answer for a host. One blocked answer blocks the request: a name that
 * resolves to both public and private addresses is a rebinding or misconfiguration signal,
 * and connecting only to the "good" half would hide it.
 */
export const checkAnswers = (
  host: string,
  answers: ReadonlyArray<string>,
  policy: EgressPolicy
): Result.Result<ReadonlyArray<CheckedAddress>, EgressBlock | "empty" | "malformed"> => {
  if (answers.length === 0 || answers.length > maxAnswers) return Result.fail("empty")
  const checked: Array<CheckedAddress> = []
  for (const answer of answers) {
    const parsed = parseStrictIp(answer)
    if (parsed === undefined) return Result.fail("malformed")
    const verdict = checkAddress(parsed, policy, host)
    if (Result.isFailure(verdict)) {
      return Result.fail({ ...verdict.failure, detail: `${host} resolves to ${verdict.failure.detail}` })
    }
    checked.push(verdict.success)
  }
  return Result.succeed(checked)
}

/** The URL as it may be recorded: origin and path, without query or fragment (they may carry secrets). */
export const redactUrl = (input: string | URL): string => {
  const url = typeof input === "string" ? URL.parse(input) : input
  if (url === null)
    return input
      .toString()
      .slice(0, 64)
      .replace(/[?#].*$/su, "")
  return `${url.origin}${url.pathname}`.slice(0, 2048)
}
