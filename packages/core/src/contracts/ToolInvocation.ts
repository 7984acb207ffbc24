import { Schema } from "effect"
import {
  BoundedString,
  CustomerInstanceId,
  Environment,
  Id,
  NonNegativeInt,
  Sha256Hex,
  Timestamp,
  ToolName
} from "./primitives.js"

/** How a tool invocation ended. */
export const ToolOutcome = Schema.Literals([
  "succeeded",
  "failed",
  "denied",
  "approval_required",
  "invalid_arguments",
  "timed_out",
  "cancelled",
  "outcome_unknown"
])
export type ToolOutcome = typeof ToolOutcome.Type

/** What was removed from the recorded arguments and output before they were stored. */
export const RedactionMeta = Schema.Struct({
  /** JSON paths of redacted fields. */
  redactedPaths: Schema.Array(BoundedString(512)).check(Schema.isMaxLength(256)),
  /** How many secret values were found and replaced. */
  secretsRedacted: NonNegativeInt,
  /** True when the output exceeded the tool's cap and was cut (the cut is reported, never silent). */
  outputTruncated: Schema.Boolean
}).annotate({ identifier: "RedactionMeta" })
export type RedactionMeta = typeof RedactionMeta.Type

/**
 * The audit record of one tool call. `policyDecisionId` is always set: no tool runs, and no
 * call is refused, without a recorded policy decision.
 */
export const ToolInvocationV1 = Schema.Struct({
  version: Schema.Literal(1),
  invocationId: Id,
  runId: Id,
  customerInstanceId: CustomerInstanceId,
  environment: Environment,
  toolName: ToolName,
  /** `hashOf(args)`: sha256 over the RFC 8785 canonical JSON of the decoded arguments. */
  argsHash: Sha256Hex,
  policyDecisionId: Id,
  startedAt: Timestamp,
  endedAt: Timestamp,
  outcome: ToolOutcome,
  redactionMeta: RedactionMeta,
  /** Sandbox lane that executed the call, when it was routed to one. */
  sandboxLaneId: Schema.optionalKey(BoundedString(128, 1)),
  /** Stable error code when the outcome is not `succeeded`. */
  errorCode: Schema.optionalKey(BoundedString(128, 1))
}).annotate({ identifier: "ToolInvocationV1", title: "ToolInvocationV1" })
export type ToolInvocationV1 = typeof ToolInvocationV1.Type
