import { Schema } from "effect"
import { PolicyResource, PolicySubject } from "../contracts/PolicyDecisionTrace.js"
import { Fact, Id, SafeKey } from "../contracts/primitives.js"
import { ToolProfile } from "../contracts/RunRequest.js"

/** A dotted action name such as `tool.invoke` or `egress.fetch`. */
export const ActionName = Schema.String.check(
  Schema.isPattern(/^[a-z][a-z0-9_]{0,30}(?:\.[a-z][a-z0-9_]{0,30}){1,3}$/u, {
    expected: "a dotted action name such as tool.invoke"
  })
).annotate({ identifier: "ActionName" })

/**
 * What surrounds a request: whether it runs in a sandbox lane, the run it belongs to and that
 * run's tool profile (the narrowest policy layer), and scalar facts about the arguments that
 * rule conditions can test (`amount`, `recipientDomain`, `ip`, ...).
 */
export const PolicyRequestContext = Schema.Struct({
  /** True when the call would execute in a sandbox lane. Absent means it would not. */
  sandboxed: Schema.optionalKey(Schema.Boolean),
  runId: Schema.optionalKey(Id),
  toolProfile: Schema.optionalKey(ToolProfile),
  facts: Schema.optionalKey(Schema.Record(SafeKey, Fact).check(Schema.isMaxProperties(64)))
}).annotate({ identifier: "PolicyRequestContext" })
export type PolicyRequestContext = typeof PolicyRequestContext.Type

/**
 * One question to the policy: may this subject perform this action on this resource, here?
 * `policy.evaluate` takes it from the wire; decode it with `decodePolicyRequest` first.
 *
 * @example
 * ```ts
 * const request: PolicyRequest = {
 *   subject: { actor: { kind: "user", id: "u-1", roles: ["operator"] }, customerInstanceId: "acme", environment: "production" },
 *   action: "tool.invoke",
 *   resource: { kind: "tool", name: "shell.exec", groups: ["group:runtime"], riskClass: "exec" },
 *   context: { sandboxed: true }
 * }
 * ```
 */
export const PolicyRequest = Schema.Struct({
  subject: PolicySubject,
  action: ActionName,
  resource: PolicyResource,
  context: Schema.optionalKey(PolicyRequestContext)
}).annotate({ identifier: "PolicyRequest", title: "PolicyRequest" })
export type PolicyRequest = typeof PolicyRequest.Type
