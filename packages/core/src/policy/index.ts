/**
 * Policy: every allow, deny and approval decision, with a `PolicyDecisionTraceV1` that says
 * why. Rules come from a JSON policy document in layers (deployment, customer instance, agent
 * profile) on top of the platform baseline from the configuration, narrowed by each run's tool
 * profile. Deny beats require_approval beats allow; nothing granted means deny. See
 * docs/adr/0002-policy.md.
 *
 * @example
 * ```ts
 * import { Policy } from "@bga/core"
 * const policy = Result.getOrThrow(Policy.makePolicy(document, { config }))
 * const trace = Policy.decide(policy, request) // synchronous, no recording
 * // Effect: Policy.PolicyEngine.layer(policy) with a PolicyTraceSink; engine.evaluate(request)
 * ```
 *
 * @module
 */
export {
  Condition,
  ConditionOp,
  ContextMatcher,
  Pattern,
  PolicyDocument,
  ResourceMatcher,
  Rule,
  RuleId,
  SubjectMatcher
} from "./document.js"
export { PolicyConfigError, PolicyProblem, PolicyProblemKind, PolicyTraceError } from "./errors.js"
export {
  compilePolicy,
  decide,
  decodePolicyDocument,
  decodePolicyRequest,
  emptyPolicyDocument,
  loadPolicyDocumentFile,
  loadPolicyFile,
  makePolicy,
  type Policy,
  parsePolicyDocument
} from "./load.js"
export {
  layer,
  layerConfig,
  layerDocument,
  make,
  PolicyEngine,
  type PolicyEngineShape
} from "./PolicyEngine.js"
export {
  layerMemory as layerTraceSinkMemory,
  layerNoop as layerTraceSinkNoop,
  type MemoryTraceSink,
  makeMemory as makeMemoryTraceSink,
  PolicyTraceSink,
  type PolicyTraceSinkShape
} from "./PolicyTraceSink.js"
export {
  createPolicyClient,
  loadPolicyClient,
  type PolicyClient,
  type PromiseTraceSink
} from "./promise.js"
export { ActionName, PolicyRequest, PolicyRequestContext } from "./request.js"
export * from "./taxonomy.js"
