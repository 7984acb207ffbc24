import type { Json as JsonValue } from "effect/Schema"
import type { RunRequestV2 } from "../contracts/RunRequest.js"
import { type RunState, terminalRunStates } from "../contracts/RunState.js"

/**
 * A worker's claim on a run. `epoch` grows by one on every acquisition and is the fencing
 * token: a write carrying an older epoch is refused, so a worker that stalled past its lease
 * cannot overwrite the work of the one that took over.
 */
export interface RunLease {
  readonly workerId: string
  readonly epoch: number
  readonly expiresAt: string
}

/** A run as stored: the request it was created from, its state and who works on it. */
export interface RunRecord {
  readonly customerInstanceId: string
  readonly runId: string
  readonly state: RunState
  /** Grows by one on every state change; the optimistic-concurrency token of `transition`. */
  readonly version: number
  readonly request: RunRequestV2
  /** `hashOf(request)`: what an idempotent retry is compared by. */
  readonly requestHash: string
  readonly idempotencyKey?: string
  readonly createdAt: string
  readonly updatedAt: string
  /** Highest lease epoch handed out so far (0 before the first lease). */
  readonly leaseEpoch: number
  /** The current lease, absent when released or never taken; may have expired. */
  readonly lease?: RunLease
}

/** A saved point a run can resume from after a crash. `seq` counts 1, 2, 3... per run. */
export interface RunCheckpoint {
  readonly customerInstanceId: string
  readonly runId: string
  readonly seq: number
  readonly createdAt: string
  /** The run state when the checkpoint was written. */
  readonly state: RunState
  readonly data: JsonValue
  /** `hashOf(data)`, so a checkpoint read back can be checked before it is resumed from. */
  readonly dataHash: string
}

/** Everything stored about one run, as moved by replication and reconcile. */
export interface RunSnapshot {
  readonly run: RunRecord
  readonly checkpoints: ReadonlyArray<RunCheckpoint>
}

/**
 * The state changes a run may make. `RUNNING -> QUEUED` re-queues a run whose worker died
 * (crash recovery); every other edge follows the lifecycle in docs/architecture.md.
 * Terminal states have no way out.
 */
export const runTransitions: Readonly<Record<RunState, ReadonlyArray<RunState>>> = {
  QUEUED: ["RUNNING", "CANCELLED", "FAILED"],
  RUNNING: ["WAITING_APPROVAL", "COMPLETED", "FAILED", "CANCELLED", "QUEUED"],
  WAITING_APPROVAL: ["RUNNING", "FAILED", "CANCELLED"],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: []
}

/** True when a run may go from `from` to `to`. */
export const isLegalTransition = (from: RunState, to: RunState): boolean => runTransitions[from].includes(to)

/** True when the run can no longer change. */
export const isTerminal = (state: RunState): boolean => terminalRunStates.has(state)
