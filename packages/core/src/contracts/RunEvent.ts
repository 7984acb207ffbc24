import { Schema } from "effect"
import { CustomerInstanceId, Environment, Id, JsonObject, Timestamp, TraceId } from "./primitives.js"
import { RunState } from "./RunState.js"

/** Kinds of run event. New kinds are added with a minor version; consumers ignore unknown ones. */
export const RunEventType = Schema.Literals([
  "run.created",
  "run.state_changed",
  "run.model_step",
  "run.tool_requested",
  "run.tool_completed",
  "run.approval_requested",
  "run.approval_resolved",
  "run.budget_exceeded",
  "run.output",
  "run.recovered"
])
export type RunEventType = typeof RunEventType.Type

/** One thing that happened to a run; the timeline of a run is its ordered events. */
export const RunEventV1 = Schema.Struct({
  version: Schema.Literal(1),
  eventId: Id,
  runId: Id,
  customerInstanceId: CustomerInstanceId,
  environment: Environment,
  ts: Timestamp,
  type: RunEventType,
  /** The run state after this event. */
  phase: RunState,
  payload: JsonObject,
  traceId: TraceId
}).annotate({ identifier: "RunEventV1", title: "RunEventV1" })
export type RunEventV1 = typeof RunEventV1.Type
