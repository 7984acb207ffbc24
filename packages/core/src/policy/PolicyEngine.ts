import { Context, Effect, Layer } from "effect"
import { ConfigService } from "../config/load.js"
import type { PolicyDecisionTraceV1 } from "../contracts/PolicyDecisionTrace.js"
import type { PolicyConfigError, PolicyTraceError } from "./errors.js"
import {
  compilePolicy,
  decide,
  emptyPolicyDocument,
  loadPolicyDocumentFile,
  makePolicy,
  type Policy
} from "./load.js"
import { PolicyTraceSink, type PolicyTraceSinkShape } from "./PolicyTraceSink.js"
import type { PolicyRequest } from "./request.js"

/** The policy engine: every allow, deny and approval decision, with its trace. */
export interface PolicyEngineShape {
  /**
   * Decides and records the decision trace in the trace sink; this is `policy.evaluate`. Fails
   * with `PolicyTraceError` when the trace cannot be recorded: do not act on such a decision.
   */
  readonly evaluate: (request: PolicyRequest) => Effect.Effect<PolicyDecisionTraceV1, PolicyTraceError>
  /** Decides without recording: answers "what would happen, and why?". */
  readonly explain: (request: PolicyRequest) => Effect.Effect<PolicyDecisionTraceV1>
  /** The synchronous hot path of `explain`, for callers that record traces themselves. */
  readonly decide: (request: PolicyRequest) => PolicyDecisionTraceV1
  /** The policy in force. */
  readonly policy: Policy
}

/** The policy engine port. */
export class PolicyEngine extends Context.Service<PolicyEngine, PolicyEngineShape>()(
  "@bga/core/PolicyEngine"
) {}

/** Makes an engine for a compiled policy that records into `sink`. */
export const make = (policy: Policy, sink: PolicyTraceSinkShape): PolicyEngineShape => ({
  evaluate: (request) =>
    Effect.suspend(() => {
      const trace = decide(policy, request)
      return Effect.as(sink.record(trace), trace)
    }),
  explain: (request) => Effect.sync(() => decide(policy, request)),
  decide: (request) => decide(policy, request),
  policy
})

/** Provides an engine for a compiled policy; traces go to the `PolicyTraceSink` in context. */
export const layer = (policy: Policy): Layer.Layer<PolicyEngine, never, PolicyTraceSink> =>
  Layer.effect(
    PolicyEngine,
    Effect.map(Effect.service(PolicyTraceSink), (sink) => make(policy, sink))
  )

/**
 * Provides an engine for an untrusted policy document, with the platform baseline from the
 * `ConfigService`. Fails with `PolicyConfigError` naming every problem of the document.
 */
export const layerDocument = (
  input: unknown
): Layer.Layer<PolicyEngine, PolicyConfigError, ConfigService | PolicyTraceSink> =>
  Layer.effect(
    PolicyEngine,
    Effect.gen(function* () {
      const config = yield* Effect.service(ConfigService)
      const sink = yield* Effect.service(PolicyTraceSink)
      const policy = yield* Effect.fromResult(makePolicy(input, { config }))
      return make(policy, sink)
    })
  )

/**
 * Provides an engine for the policy document file at `path` (none: only the platform baseline,
 * which denies everything but what it grants), with the baseline from the `ConfigService`.
 */
export const layerConfig = (
  path?: string
): Layer.Layer<PolicyEngine, PolicyConfigError, ConfigService | PolicyTraceSink> =>
  Layer.effect(
    PolicyEngine,
    Effect.gen(function* () {
      const config = yield* Effect.service(ConfigService)
      const sink = yield* Effect.service(PolicyTraceSink)
      const document =
        path === undefined
          ? emptyPolicyDocument
          : yield* Effect.fromResult(yield* Effect.sync(() => loadPolicyDocumentFile(path)))
      return make(compilePolicy(document, config), sink)
    })
  )
