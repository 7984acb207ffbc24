import { Result, Schema } from "effect"
import { decodeUnknown, problemsOf } from "../contracts/decode.js"
import { CustomerInstanceId, Id, JsonValue, Sha256Hex, Timestamp, TraceId } from "../contracts/primitives.js"
import { RunEventV1 } from "../contracts/RunEvent.js"
import { ToolOutcome } from "../contracts/ToolInvocation.js"
import { InvalidInputError } from "../json/JsonError.js"
import type { JsonLimits } from "../json/limits.js"
import { checkJsonValue } from "../json/safeJson.js"
import { ModelMessage, ModelToolCall } from "../model/ModelMessage.js"
import { BudgetUsage } from "./Budget.js"

/** A tool call of the current step that has not been looked at yet (policy not evaluated). */
export const ToolCallPending = Schema.Struct({
  status: Schema.Literal("pending"),
  call: ModelToolCall,
  /** Set when this is an idempotent call put back after a crash: the invocation it repeats. */
  retryOf: Schema.optionalKey(Id)
})
export type ToolCallPending = typeof ToolCallPending.Type

/** A tool call waiting for a human; the run is WAITING_APPROVAL. */
export const ToolCallAwaitingApproval = Schema.Struct({
  status: Schema.Literal("awaiting_approval"),
  call: ModelToolCall,
  argsHash: Sha256Hex,
  approvalId: Id,
  /** True when the approval asks whether to run again a call whose outcome a crash made unknown. */
  reapproval: Schema.Boolean,
  /** For a re-approval: the interrupted invocation the call would repeat. */
  retryOf: Schema.optionalKey(Id)
})
export type ToolCallAwaitingApproval = typeof ToolCallAwaitingApproval.Type

/** A tool call a human approved that has not started yet. The approval covers these arguments once. */
export const ToolCallApproved = Schema.Struct({
  status: Schema.Literal("approved"),
  call: ModelToolCall,
  argsHash: Sha256Hex,
  approvalId: Id,
  retryOf: Schema.optionalKey(Id)
})
export type ToolCallApproved = typeof ToolCallApproved.Type

/**
 * A tool call handed to the tool runtime whose end is not recorded yet. Written before the
 * handler can run, so after a crash it is known that the call may have had its effect.
 * `idempotent` is the tool's declaration at that moment, so recovery does not depend on the
 * tool still being registered after a restart.
 */
export const ToolCallStarted = Schema.Struct({
  status: Schema.Literal("started"),
  call: ModelToolCall,
  argsHash: Sha256Hex,
  invocationId: Id,
  startedAt: Timestamp,
  idempotent: Schema.Boolean,
  approvalId: Schema.optionalKey(Id)
})
export type ToolCallStarted = typeof ToolCallStarted.Type

/** A tool call that ended; `result` and `isError` are what the model will be shown. */
export const ToolCallFinished = Schema.Struct({
  status: Schema.Literal("finished"),
  call: ModelToolCall,
  outcome: ToolOutcome,
  result: JsonValue,
  isError: Schema.Boolean,
  invocationId: Schema.optionalKey(Id)
})
export type ToolCallFinished = typeof ToolCallFinished.Type

/** Where one tool call of the current step stands. */
export const ToolCallProgress = Schema.Union([
  ToolCallPending,
  ToolCallAwaitingApproval,
  ToolCallApproved,
  ToolCallStarted,
  ToolCallFinished
]).annotate({ identifier: "ToolCallProgress" })
export type ToolCallProgress = typeof ToolCallProgress.Type
export type ToolCallStatus = ToolCallProgress["status"]

const currentStepMatches = (checkpoint: {
  readonly messages: ReadonlyArray<ModelMessage>
  readonly toolCalls: ReadonlyArray<ToolCallProgress>
}): true | string => {
  if (checkpoint.toolCalls.length === 0) return true
  const last = checkpoint.messages.at(-1)
  if (last?.role !== "assistant")
    return "tool calls in progress need the assistant message that made them last"
  const made = last.toolCalls.map((c) => c.id).join("\u0000")
  const tracked = checkpoint.toolCalls.map((p) => p.call.id).join("\u0000")
  return made === tracked || "tool calls in progress differ from those of the last assistant message"
}

const checkpointFields = {
  runId: Id,
  customerInstanceId: CustomerInstanceId,
  traceId: TraceId,
  messages: Schema.Array(ModelMessage),
  usage: BudgetUsage,
  toolCalls: Schema.Array(ToolCallProgress)
}

/**
 * What a run persists to resume after an approval wait or a crash: the conversation so far, the
 * usage (its `steps` is the number of model steps taken), and where each tool call of the
 * current model step stands. Between steps `toolCalls` is empty; during a step it lists the
 * calls of the last assistant message, in order. The version literal lets a later release
 * decode (and migrate) checkpoints written by this one.
 */
export const RunCheckpointV1 = Schema.Struct({ version: Schema.Literal(1), ...checkpointFields })
  .check(Schema.makeFilter(currentStepMatches))
  .annotate({ identifier: "RunCheckpointV1", title: "RunCheckpointV1" })
export type RunCheckpointV1 = typeof RunCheckpointV1.Type

/** Most events one checkpoint carries in its outbox. */
export const maxOutboxEvents = 64

/**
 * Version 2 adds the `outbox`: the run events that describe what this checkpoint records (a
 * model step, a tool call starting or ending, an approval request) and that may not be in the
 * audit log yet. They are written in the same row as the state they describe, so a crash
 * between the checkpoint and the audit append loses nothing: whoever continues the run appends
 * the outbox again first, idempotently by event id, so nothing is recorded twice either.
 */
export const RunCheckpointV2 = Schema.Struct({
  version: Schema.Literal(2),
  ...checkpointFields,
  outbox: Schema.Array(RunEventV1).check(Schema.isMaxLength(maxOutboxEvents))
})
  .check(Schema.makeFilter(currentStepMatches))
  .annotate({ identifier: "RunCheckpointV2", title: "RunCheckpointV2" })
export type RunCheckpointV2 = typeof RunCheckpointV2.Type

/** The checkpoint shape this release writes. */
export type RunCheckpoint = RunCheckpointV2

/**
 * Checkpoints are written by BGA, but read back from storage, so they are decoded like any
 * input; the limits are wider than for requests because a long run's conversation is large and
 * tool arguments sit a few levels deeper than in the model's own message.
 */
export const checkpointJsonLimits: JsonLimits = {
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 64,
  maxStringLength: 4 * 1024 * 1024,
  maxCollectionSize: 100_000
}

/** Checkpoint versions this release reads, each with its upgrade to the current shape. */
const readers: Record<number, (data: unknown) => Result.Result<RunCheckpoint, InvalidInputError>> = {
  // Version 1 had no outbox: its events were appended before the checkpoint was written.
  1: (data) =>
    Result.map(
      decodeUnknown(RunCheckpointV1, "RunCheckpoint", checkpointJsonLimits)(data),
      (v1): RunCheckpoint => ({ ...v1, version: 2, outbox: [] })
    ),
  2: decodeUnknown(RunCheckpointV2, "RunCheckpoint", checkpointJsonLimits)
}

const invalid = (path: string, message: string) =>
  Result.fail(
    new InvalidInputError({ reason: "invalid", subject: "RunCheckpoint", problems: [{ path, message }] })
  )

/**
 * Reads a stored checkpoint of any known version into the current shape. Unknown versions,
 * unknown keys (e.g. written by a newer release after a rollback) and a checkpoint of another
 * run are refused with an `InvalidInputError` naming the field; a run never resumes from state
 * it cannot fully read.
 */
export const decodeCheckpoint = (
  data: unknown,
  expected?: { readonly runId: string; readonly customerInstanceId: string }
): Result.Result<RunCheckpoint, InvalidInputError> => {
  const version =
    typeof data === "object" && data !== null && !Array.isArray(data)
      ? (data as { version?: unknown }).version
      : undefined
  const reader = typeof version === "number" && Object.hasOwn(readers, version) ? readers[version] : undefined
  if (reader === undefined) {
    return invalid(
      "$.version",
      `checkpoint version ${JSON.stringify(version) ?? "undefined"} is not one this release reads (${Object.keys(readers).join(", ")})`
    )
  }
  const decoded = reader(data)
  if (Result.isFailure(decoded) || expected === undefined) return decoded
  if (decoded.success.customerInstanceId !== expected.customerInstanceId) {
    return invalid("$.customerInstanceId", `the checkpoint belongs to another customer instance`)
  }
  if (decoded.success.runId !== expected.runId) {
    return invalid("$.runId", `the checkpoint belongs to run ${decoded.success.runId}, not ${expected.runId}`)
  }
  return decoded
}

/**
 * The checkpoint as JSON-ready data for `RunStore` (the inverse of `decodeCheckpoint`). A
 * checkpoint that would not decode again (e.g. a value the JSON reader would refuse) is refused
 * here, before it is stored, rather than found unreadable when the run resumes.
 */
export const encodeCheckpoint = (checkpoint: RunCheckpoint): Result.Result<unknown, InvalidInputError> => {
  const encoded = Schema.encodeUnknownResult(RunCheckpointV2)(checkpoint, { errors: "all" })
  if (Result.isFailure(encoded)) {
    return Result.fail(
      new InvalidInputError({
        reason: "invalid",
        subject: "RunCheckpoint",
        problems: problemsOf(encoded.failure.issue, checkpoint)
      })
    )
  }
  const checked = checkJsonValue(encoded.success, "RunCheckpoint", checkpointJsonLimits)
  return Result.isFailure(checked) ? checked : Result.succeed(encoded.success)
}
