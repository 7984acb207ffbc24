import { Schema } from "effect"

/**
 * Reasons a request is refused by egress policy. Each one is decided by the policy rule
 * `egress.<reason>` and yields a `PolicyDecisionTraceV1` with effect `deny`.
 */
export const EgressBlockReason = Schema.Literals([
  "invalid-url",
  "invalid-request",
  "blocked-scheme",
  "userinfo",
  "blocked-port",
  "ip-literal-form",
  "blocked-hostname",
  "blocked-range",
  "metadata-endpoint",
  "not-allowlisted",
  "redirect-limit",
  "redirect-downgrade",
  "redirect-body"
])
export type EgressBlockReason = typeof EgressBlockReason.Type

/** Reasons an allowed request still failed: the network or the server misbehaved, or a limit was hit. */
export const EgressFailureReason = Schema.Literals([
  "dns",
  "connect",
  "timeout",
  "aborted",
  "too-large",
  "headers-too-large",
  "protocol"
])
export type EgressFailureReason = typeof EgressFailureReason.Type

const blockReasons: ReadonlySet<string> = new Set(EgressBlockReason.literals)

/** True when the reason is a policy refusal (it carries a decision), false for a failure. */
export const isBlockReason = (reason: EgressReason): reason is EgressBlockReason => blockReasons.has(reason)

/** Every reason an egress request can end in an error. */
export type EgressReason = EgressBlockReason | EgressFailureReason

/**
 * An outbound request that was refused by policy or failed. `url` is the target without query
 * or fragment (they may carry secrets); `decisionId` links the recorded policy decision of a
 * refusal. Lands in audit records, so it is schema-backed.
 */
export class EgressError extends Schema.TaggedError<EgressError>()("@bga/core/EgressError", {
  reason: Schema.Union([EgressBlockReason, EgressFailureReason]),
  url: Schema.String,
  detail: Schema.String,
  host: Schema.optionalKey(Schema.String),
  address: Schema.optionalKey(Schema.String),
  decisionId: Schema.optionalKey(Schema.String),
  cause: Schema.optionalKey(Schema.Defect())
}) {
  override get message(): string {
    const verb = isBlockReason(this.reason) ? "blocked" : "failed"
    return `egress to ${this.url || "(no url)"} ${verb} (${this.reason}): ${this.detail}`
  }
}

/** Egress settings that cannot be applied; `problems` name each bad key and why. */
export class EgressConfigError extends Schema.TaggedError<EgressConfigError>()(
  "@bga/core/EgressConfigError",
  {
    problems: Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String }))
  }
) {
  override get message(): string {
    return `egress settings are invalid:\n${this.problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`
  }
}
