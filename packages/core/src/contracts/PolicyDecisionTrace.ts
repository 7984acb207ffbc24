import { Schema } from "effect"
import { Actor } from "./Actor.js"
import {
  BoundedString,
  CustomerInstanceId,
  Environment,
  Fact,
  Id,
  SafeKey,
  Sha256Hex,
  Timestamp
} from "./primitives.js"
import { ToolProfileName } from "./RunRequest.js"

/** What a policy decides. */
export const PolicyEffect = Schema.Literals(["allow", "deny", "require_approval"])
export type PolicyEffect = typeof PolicyEffect.Type

/** Policy layers, from the broadest (platform baseline) to the narrowest (one run). */
export const PolicyLayer = Schema.Literals([
  "platform",
  "deployment",
  "customer_instance",
  "agent_profile",
  "run"
])
export type PolicyLayer = typeof PolicyLayer.Type

/** The acting party as the policy saw it. */
export const PolicySubject = Schema.Struct({
  actor: Actor,
  agentId: Schema.optionalKey(BoundedString(128, 1)),
  customerInstanceId: CustomerInstanceId,
  environment: Environment,
  channel: Schema.optionalKey(BoundedString(64, 1))
}).annotate({ identifier: "PolicySubject" })
export type PolicySubject = typeof PolicySubject.Type

/** The thing acted on: a tool, a host, a plugin, a run, an approval. */
export const PolicyResource = Schema.Struct({
  kind: Schema.Literals(["tool", "host", "plugin", "run", "approval"]),
  name: BoundedString(512, 1),
  groups: Schema.optionalKey(Schema.Array(BoundedString(64, 1)).check(Schema.isMaxLength(64))),
  riskClass: Schema.optionalKey(BoundedString(32, 1)),
  attributes: Schema.optionalKey(Schema.Record(SafeKey, Fact).check(Schema.isMaxProperties(64)))
}).annotate({ identifier: "PolicyResource" })
export type PolicyResource = typeof PolicyResource.Type

/** A rule that matched, with the layer it came from. */
export const MatchedRule = Schema.Struct({
  ruleId: BoundedString(128, 1),
  layer: PolicyLayer,
  effect: PolicyEffect
}).annotate({ identifier: "MatchedRule" })
export type MatchedRule = typeof MatchedRule.Type

/** Where the decided action would run, as the policy saw it. */
export const PolicyTraceContext = Schema.Struct({
  /** True when the action would execute in a sandbox lane. */
  sandboxed: Schema.Boolean,
  /** The run's tool profile, when the request carried one (the run layer). */
  toolProfile: Schema.optionalKey(ToolProfileName)
}).annotate({ identifier: "PolicyTraceContext" })
export type PolicyTraceContext = typeof PolicyTraceContext.Type

/**
 * Why an action was allowed, denied or sent for approval. Kept in the audit log; every tool
 * invocation points at one by `policyDecisionId`.
 */
export const PolicyDecisionTraceV1 = Schema.Struct({
  version: Schema.Literal(1),
  decisionId: Id,
  customerInstanceId: CustomerInstanceId,
  runId: Schema.optionalKey(Id),
  ts: Timestamp,
  subject: PolicySubject,
  action: BoundedString(64, 1),
  resource: PolicyResource,
  effect: PolicyEffect,
  matchedRules: Schema.Array(MatchedRule).check(Schema.isMaxLength(1000)),
  /** The rule that decided; absent when nothing matched and the default (deny) applied. */
  decidingRule: Schema.optionalKey(MatchedRule),
  requiresApproval: Schema.Boolean,
  rationale: BoundedString(4096),
  /** Where the action would run (added in @bga/core 0.2; absent in older traces). */
  context: Schema.optionalKey(PolicyTraceContext),
  /** `hashOf` the policy that decided (document and platform baseline), naming its version. */
  policyHash: Schema.optionalKey(Sha256Hex)
}).annotate({ identifier: "PolicyDecisionTraceV1", title: "PolicyDecisionTraceV1" })
export type PolicyDecisionTraceV1 = typeof PolicyDecisionTraceV1.Type
