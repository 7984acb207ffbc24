import { Schema } from "effect"

/**
 * The runtime could not record or decide a call, so it did not run it. Distinct from a tool
 * failing: a failed tool is an outcome the model sees; this is an infrastructure fault the
 * caller must handle (retry, fail the run).
 */
export class ToolRuntimeError extends Schema.TaggedError<ToolRuntimeError>()("@bga/core/ToolRuntimeError", {
  reason: Schema.Literals([
    "audit-unavailable",
    "approval-store-unavailable",
    "sandbox-unavailable",
    "invalid-request"
  ]),
  detail: Schema.String,
  cause: Schema.optionalKey(Schema.Defect())
}) {
  override get message(): string {
    return `tool runtime: ${this.reason}: ${this.detail}`
  }
}

/** An approval could not be resolved as asked. */
export class ApprovalResolveError extends Schema.TaggedError<ApprovalResolveError>()(
  "@bga/core/ApprovalResolveError",
  {
    reason: Schema.Literals([
      "not-found",
      "forbidden",
      "already-resolved",
      "expired",
      "invalid-request",
      "store-unavailable"
    ]),
    approvalId: Schema.String,
    detail: Schema.String
  }
) {
  override get message(): string {
    return `approval ${this.approvalId}: ${this.reason}: ${this.detail}`
  }
}
