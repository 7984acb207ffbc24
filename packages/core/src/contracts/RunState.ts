import { Schema } from "effect"

/** The lifecycle states of a run. */
export const RunState = Schema.Literals([
  "QUEUED",
  "RUNNING",
  "WAITING_APPROVAL",
  "COMPLETED",
  "FAILED",
  "CANCELLED"
])
export type RunState = typeof RunState.Type

/** States a run never leaves. */
export const terminalRunStates: ReadonlySet<RunState> = new Set(["COMPLETED", "FAILED", "CANCELLED"])
