/**
 * The egress guard: the only way BGA code reaches the network. Every request is checked
 * against ranges that are blocked always (loopback, private, link-local, metadata endpoints,
 * IPv4 embedded in IPv6, odd IPv4 literal forms, local host names) and the customer
 * instance's allowlist; host names are resolved once and the connection is pinned to the
 * checked addresses; redirects are followed by hand and re-checked; bodies, headers and time
 * are capped. Every refusal yields a `PolicyDecisionTraceV1` for action `egress.fetch` and an
 * audit event; every request that went out is recorded with host, address, status and bytes.
 * See `README.md` beside this module for the rules and how settings combine.
 *
 * @example
 * ```ts
 * import { Egress } from "@bga/core"
 * const program = Effect.gen(function* () {
 *   const guard = yield* Egress.EgressGuard
 *   return yield* guard.fetch({ url: "https://api.example.com/v1/items" }, context)
 * }).pipe(Effect.provide(Egress.layer()))
 * ```
 *
 * @module
 */
export {
  blockedHostnameRule,
  type CheckedAddress,
  checkAddress,
  checkAnswers,
  checkUrl,
  type EgressBlock,
  maxAnswers,
  maxUrlLength,
  oddIpv4Form,
  rawHostOf,
  redactUrl,
  type UrlTarget
} from "./check.js"
export { blockDecision, type EgressContext, egressAction, layerOf, ruleIdOf } from "./decision.js"
export {
  EgressBlockReason,
  EgressConfigError,
  EgressError,
  EgressFailureReason,
  type EgressReason,
  isBlockReason
} from "./EgressError.js"
export {
  EgressGuard,
  type EgressGuardOptions,
  type EgressGuardShape,
  layer,
  layerWith,
  make,
  makeEngine
} from "./EgressGuard.js"
export {
  EgressBlockedV1,
  EgressEventV1,
  EgressFailedV1,
  EgressFetchedV1,
  EgressRecorder,
  type EgressRecorderShape,
  layerMemoryRecorder,
  type MemoryRecorder,
  makeMemoryRecorder,
  recorderFromPromise
} from "./events.js"
export { charsetOf, decodeText, type ExtractedText, htmlToText } from "./extract.js"
export {
  defaultLimits,
  type EgressLimits,
  type EgressRequest,
  type EgressResponse,
  type EgressVerdict
} from "./internal/engine.js"
export type { EgressTlsOptions } from "./internal/pools.js"
export {
  type AllowEntry,
  type EgressPolicy,
  type EgressSettingsInput,
  makePolicy,
  matchAllowlist,
  normalizeHost,
  parseAllowEntry,
  policiesFor,
  policyFor
} from "./policy.js"
export { createEgressGuard, type PromiseEgressGuard } from "./promise.js"
export {
  type AddressCategory,
  type AddressClass,
  classifyAddress,
  metadataAddresses,
  type OpenedRange,
  openableCategories,
  parseOpenedRange,
  parseStrictIp
} from "./ranges.js"
export {
  credentialHeaders,
  type HopRequest,
  planRedirect,
  type RedirectPlan,
  redirectStatuses
} from "./redirect.js"
export { type EgressResolver, staticResolver, systemResolver } from "./resolver.js"
export { type UntrustedContent, untrustedNotice, wrapUntrusted } from "./untrusted.js"
export {
  type GuardedToolDefinition,
  runWebFetch,
  WebFetchArgs,
  type WebFetchOutput,
  webFetchDefaultBytes,
  webFetchMaxBytes,
  webFetchMaxChars,
  webFetchOutput,
  webFetchParameters,
  webFetchTool
} from "./webFetch.js"
