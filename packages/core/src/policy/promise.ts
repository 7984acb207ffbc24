import { Result } from "effect"
import type { BgaConfig } from "../config/schema.js"
import type { PolicyDecisionTraceV1 } from "../contracts/PolicyDecisionTrace.js"
import type { InvalidInputError } from "../json/JsonError.js"
import { PolicyTraceError } from "./errors.js"
import { decide, decodePolicyRequest, loadPolicyFile, makePolicy, type Policy } from "./load.js"
import type { PolicyRequest } from "./request.js"

/** Where a Promise client sends decision traces; a rejection fails the evaluation. */
export interface PromiseTraceSink {
  readonly record: (trace: PolicyDecisionTraceV1) => Promise<void> | void
}

/** The policy engine for services that do not use Effect. */
export interface PolicyClient {
  /** Decides and records the trace; rejects with `PolicyTraceError` when it cannot be recorded. */
  readonly evaluate: (request: PolicyRequest) => Promise<PolicyDecisionTraceV1>
  /** Decides without recording. */
  readonly explain: (request: PolicyRequest) => Promise<PolicyDecisionTraceV1>
  /** The synchronous hot path (no recording). */
  readonly decide: (request: PolicyRequest) => PolicyDecisionTraceV1
  /** Decodes an untrusted request; rejects with `InvalidInputError`. */
  readonly decodeRequest: (input: unknown) => Promise<PolicyRequest>
  readonly policy: Policy
}

const toPromise = <A, E>(result: Result.Result<A, E>): Promise<A> =>
  Result.isSuccess(result) ? Promise.resolve(result.success) : Promise.reject(result.failure)

const clientOf = (policy: Policy, sink: PromiseTraceSink | undefined): PolicyClient => ({
  evaluate: async (request) => {
    const trace = decide(policy, request)
    if (sink === undefined) return trace
    try {
      await sink.record(trace)
    } catch (cause) {
      throw new PolicyTraceError({ reason: "unavailable", decisionId: trace.decisionId, cause })
    }
    return trace
  },
  explain: (request) => new Promise((resolve) => resolve(decide(policy, request))),
  decide: (request) => decide(policy, request),
  decodeRequest: (input) => toPromise<PolicyRequest, InvalidInputError>(decodePolicyRequest(input)),
  policy
})

/**
 * Makes a policy client from an untrusted policy document; rejects with `PolicyConfigError`.
 *
 * @example
 * ```ts
 * import { createPolicyClient } from "@bga/core/policy"
 * const policy = await createPolicyClient({ document, config, sink: { record: (t) => audit.append(t) } })
 * const trace = await policy.evaluate(request)
 * if (trace.effect !== "allow") return refuse(trace.rationale)
 * ```
 */
export const createPolicyClient = (options: {
  readonly document: unknown
  readonly config?: BgaConfig
  readonly sink?: PromiseTraceSink
}): Promise<PolicyClient> =>
  toPromise(
    Result.map(
      makePolicy(options.document, options.config === undefined ? {} : { config: options.config }),
      (policy) => clientOf(policy, options.sink)
    )
  )

/** Makes a policy client from a policy document file; rejects with `PolicyConfigError`. */
export const loadPolicyClient = (
  path: string,
  options: { readonly config?: BgaConfig; readonly sink?: PromiseTraceSink } = {}
): Promise<PolicyClient> =>
  toPromise(
    Result.map(
      loadPolicyFile(path, options.config === undefined ? {} : { config: options.config }),
      (policy) => clientOf(policy, options.sink)
    )
  )
