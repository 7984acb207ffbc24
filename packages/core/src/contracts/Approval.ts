import { Schema } from "effect"
import { Actor } from "./Actor.js"
import {
  BoundedString,
  CustomerInstanceId,
  Environment,
  Id,
  JsonValue,
  Sha256Hex,
  Timestamp,
  ToolName
} from "./primitives.js"

/**
 * A tool call waiting for a human. Bound to `argsHash`: approving it approves exactly those
 * arguments, once.
 */
export const ApprovalRequestV1 = Schema.Struct({
  version: Schema.Literal(1),
  approvalId: Id,
  runId: Id,
  customerInstanceId: CustomerInstanceId,
  environment: Environment,
  toolName: ToolName,
  argsHash: Sha256Hex,
  /** The arguments with secrets and redacted fields removed, for the approver to read. */
  argsPreview: JsonValue,
  policyDecisionId: Id,
  requestedBy: Actor,
  requestedAt: Timestamp,
  expiresAt: Timestamp
}).annotate({ identifier: "ApprovalRequestV1", title: "ApprovalRequestV1" })
export type ApprovalRequestV1 = typeof ApprovalRequestV1.Type

/** How an approval ended; expiry counts as a denial. */
export const ApprovalOutcome = Schema.Literals(["approved", "denied", "expired"])
export type ApprovalOutcome = typeof ApprovalOutcome.Type

/** The resolution of an approval request, with who decided and why. */
export const ApprovalDecisionV1 = Schema.Struct({
  version: Schema.Literal(1),
  approvalId: Id,
  runId: Id,
  customerInstanceId: CustomerInstanceId,
  argsHash: Sha256Hex,
  outcome: ApprovalOutcome,
  decidedBy: Actor,
  reason: Schema.optionalKey(BoundedString(4096)),
  decidedAt: Timestamp,
  /** The `approval.resolve` policy decision that allowed this actor to decide. */
  policyDecisionId: Schema.optionalKey(Id)
}).annotate({ identifier: "ApprovalDecisionV1", title: "ApprovalDecisionV1" })
export type ApprovalDecisionV1 = typeof ApprovalDecisionV1.Type
