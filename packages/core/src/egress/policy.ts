import { domainToASCII } from "node:url"
import { Result } from "effect"
import type { BgaConfig } from "../config/schema.js"
import type { PolicyLayer } from "../contracts/PolicyDecisionTrace.js"
import { EgressConfigError } from "./EgressError.js"
import { type OpenedRange, parseOpenedRange, parseStrictIp } from "./ranges.js"

/** One allowlist entry, normalized: lowercase ASCII (punycode), no trailing dot. */
export type AllowEntry =
  | { readonly kind: "exact"; readonly host: string; readonly source: string }
  | { readonly kind: "suffix"; readonly suffix: string; readonly source: string }

/**
 * The egress rules in force for one customer instance: what it may reach besides the ranges
 * that are blocked always. Built once per instance from the configuration (see `policyFor`).
 */
export interface EgressPolicy {
  readonly customerInstanceId: string
  readonly allowlist: ReadonlyArray<AllowEntry>
  /** Which configuration layer the allowlist came from (decisions name it). */
  readonly allowlistLayer: PolicyLayer
  /** Private blocks this instance opened; every request that uses one is recorded with it. */
  readonly privateRanges: ReadonlyArray<OpenedRange>
  /** Ports allowed besides 80 and 443. */
  readonly allowedPorts: ReadonlySet<number>
  readonly portsLayer: PolicyLayer
}

/** Egress settings as written: the platform's, or one instance's overrides. */
export interface EgressSettingsInput {
  readonly allowlist?: ReadonlyArray<string> | undefined
  readonly allowPrivateRanges?: ReadonlyArray<string> | undefined
  readonly allowedPorts?: ReadonlyArray<number> | undefined
}

/**
 * Normalizes a host for comparison: lowercase, IDN labels to punycode, one trailing dot
 * removed. Returns `undefined` for a name that has no ASCII form.
 */
export const normalizeHost = (host: string): string | undefined => {
  const trimmed = host.endsWith(".") ? host.slice(0, -1) : host
  if (trimmed === "" || trimmed.endsWith(".")) return undefined
  const ascii = domainToASCII(trimmed)
  return ascii === "" ? undefined : ascii.toLowerCase()
}

/** Parses one allowlist entry (`host` or `*.suffix`); a string explains a bad one. */
export const parseAllowEntry = (entry: string): AllowEntry | string => {
  if (entry.startsWith("*.")) {
    const suffix = normalizeHost(entry.slice(2))
    if (suffix === undefined) return "is not a valid host suffix"
    if (!suffix.includes(".")) return 'a suffix pattern needs at least two labels ("*.example.com")'
    return { kind: "suffix", suffix, source: entry }
  }
  if (entry.includes("*")) return 'a wildcard is allowed only as a leading "*."'
  const host = normalizeHost(entry)
  if (host === undefined) return "is not a valid host name"
  // A name whose last label is a number is an IPv4 address to the URL parser: such an entry
  // must be written exactly as the parser prints it, or it could never match.
  const last = host.slice(host.lastIndexOf(".") + 1)
  const written = entry.toLowerCase().replace(/\.$/u, "")
  if (/^(?:0x[0-9a-f]*|[0-9]+)$/u.test(last) && (parseStrictIp(host) === undefined || written !== host)) {
    return "is not a dotted-quad IPv4 address"
  }
  return { kind: "exact", host, source: entry }
}

/**
 * True when the normalized host is allowlisted: an exact entry matches only itself; `*.suffix`
 * matches subdomains at any depth but never the suffix itself.
 */
export const matchAllowlist = (
  host: string,
  allowlist: ReadonlyArray<AllowEntry>
): AllowEntry | undefined => {
  for (const entry of allowlist) {
    if (entry.kind === "exact" ? host === entry.host : host.endsWith(`.${entry.suffix}`)) return entry
  }
  return undefined
}

type Problem = { path: string; message: string }

const parseList = <A>(
  values: ReadonlyArray<string>,
  path: string,
  parse: (value: string) => A | string,
  problems: Array<Problem>
): Array<A> =>
  values.flatMap((value, i) => {
    const parsed = parse(value)
    if (typeof parsed === "string") {
      problems.push({ path: `${path}[${i}]`, message: `${JSON.stringify(value)} ${parsed}` })
      return []
    }
    return [parsed]
  })

/**
 * Builds the policy of one customer instance from platform settings and that instance's
 * overrides. How they combine:
 * - `allowlist`: an instance list, when present, replaces the platform list for that instance
 *   (each customer reaches its own hosts; a shared list would widen every instance).
 * - `allowPrivateRanges`: only the instance's own setting opens private ranges. The platform
 *   key must stay empty: a platform-wide opening would reach every instance unasked.
 * - `allowedPorts`: an instance list, when present, replaces the platform list.
 */
export const makePolicy = (
  customerInstanceId: string,
  platform: EgressSettingsInput,
  instance: EgressSettingsInput | undefined,
  pathPrefix = `$.customerInstances.${customerInstanceId}.security.egress`
): Result.Result<EgressPolicy, EgressConfigError> => {
  const problems: Array<Problem> = []
  if ((platform.allowPrivateRanges ?? []).length > 0) {
    problems.push({
      path: "$.security.egress.allowPrivateRanges",
      message:
        "private ranges can be opened only per customer instance (customerInstances.<id>.security.egress.allowPrivateRanges)"
    })
  }
  const ownList = instance?.allowlist
  const allowlist =
    ownList === undefined
      ? parseList(platform.allowlist ?? [], "$.security.egress.allowlist", parseAllowEntry, problems)
      : parseList(ownList, `${pathPrefix}.allowlist`, parseAllowEntry, problems)
  const privateRanges = parseList(
    instance?.allowPrivateRanges ?? [],
    `${pathPrefix}.allowPrivateRanges`,
    parseOpenedRange,
    problems
  )
  const ownPorts = instance?.allowedPorts
  if (problems.length > 0) return Result.fail(new EgressConfigError({ problems }))
  return Result.succeed({
    customerInstanceId,
    allowlist,
    allowlistLayer: ownList === undefined ? "deployment" : "customer_instance",
    privateRanges,
    allowedPorts: new Set(ownPorts ?? platform.allowedPorts ?? []),
    portsLayer: ownPorts === undefined ? "deployment" : "customer_instance"
  })
}

/** The policy of one customer instance under a loaded configuration. */
export const policyFor = (
  config: BgaConfig,
  customerInstanceId: string
): Result.Result<EgressPolicy, EgressConfigError> => {
  const own = Object.hasOwn(config.customerInstances, customerInstanceId)
    ? config.customerInstances[customerInstanceId]?.security?.egress
    : undefined
  return makePolicy(customerInstanceId, config.security.egress, own)
}

/**
 * Checks every customer instance's egress settings at once, so a bad entry is reported when
 * the guard starts rather than on the first request of that instance.
 */
export const policiesFor = (
  config: BgaConfig
): Result.Result<ReadonlyMap<string, EgressPolicy>, EgressConfigError> => {
  const problems: Array<Problem> = []
  const policies = new Map<string, EgressPolicy>()
  for (const id of Object.keys(config.customerInstances)) {
    const policy = policyFor(config, id)
    if (Result.isFailure(policy)) problems.push(...policy.failure.problems)
    else policies.set(id, policy.success)
  }
  const base = makePolicy("*", config.security.egress, undefined)
  if (Result.isFailure(base)) problems.push(...base.failure.problems)
  const unique = [...new Map(problems.map((p) => [`${p.path}\n${p.message}`, p])).values()]
  return unique.length > 0
    ? Result.fail(new EgressConfigError({ problems: unique }))
    : Result.succeed(policies)
}
