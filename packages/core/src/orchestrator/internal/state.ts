import { Data, Effect, Result } from "effect"
import type { RunEventV1 } from "../../contracts/RunEvent.js"
import type { RunRecord } from "../../storage/RunRecord.js"
import type { LeaseFence } from "../../storage/RunStore.js"
import { encodeCheckpoint, type RunCheckpoint } from "../Checkpoint.js"
import type { RunEventContext } from "../RunEvents.js"
import type { RunLifecycleEvent } from "../RunStateMachine.js"
import type { Env } from "./env.js"
import { appendEvents, type ClaimResult, claim } from "./journal.js"

/**
 * Why a session stops without ending its run: the run ended or changed hands elsewhere
 * (`ended`, `lease-lost`), it was cancelled (`cancelled`), or a store or the audit log failed
 * (`infrastructure`: handled like a crash; the lease lapses and recovery continues the run from
 * its last checkpoint).
 */
export class Stop extends Data.TaggedError("Stop")<{
  readonly why: "ended" | "lease-lost" | "cancelled" | "infrastructure"
  readonly detail: string
  readonly cause?: unknown
}> {}

/** One worker's hold on one run, from lease to release. */
export interface SessionState {
  run: RunRecord
  /** The run's state as of the last write, plus what happened since (`dirty`). */
  cp: RunCheckpoint
  readonly fence: LeaseFence
  readonly context: RunEventContext
  readonly controller: AbortController
  /** True while `cp` holds changes not yet saved. */
  dirty: boolean
  /** Events describing those changes; saved as the next checkpoint's outbox. */
  pending: Array<RunEventV1>
  leaseLost: boolean
}

export const infrastructure = (detail: string) => (cause: unknown) =>
  new Stop({
    why: "infrastructure",
    detail: `${detail}: ${cause instanceof Error ? cause.message : String(cause)}`,
    cause
  })

/** Stops when the run was cancelled or its lease lost while the worker was waiting. */
export const checkStop = (s: SessionState): Effect.Effect<void, Stop> =>
  s.leaseLost
    ? Effect.fail(new Stop({ why: "lease-lost", detail: "the run's lease was lost" }))
    : s.controller.signal.aborted
      ? Effect.fail(new Stop({ why: "cancelled", detail: "the run was cancelled" }))
      : Effect.void

/**
 * Writes the checkpoint (fenced by the lease) with the pending events as its outbox. Returns the
 * outbox; the caller appends it (or records it together with a state change).
 */
export const save = (env: Env, s: SessionState): Effect.Effect<ReadonlyArray<RunEventV1>, Stop> =>
  Effect.gen(function* () {
    if (!s.dirty) return []
    const outbox = s.pending
    const next: RunCheckpoint = { ...s.cp, outbox }
    const data = encodeCheckpoint(next)
    if (Result.isFailure(data)) return yield* unwritable(env, s, data.failure.message)
    const written = yield* Effect.result(
      env.runs.appendCheckpoint(s.run.customerInstanceId, s.run.runId, {
        data: data.success as never,
        fence: s.fence
      })
    )
    if (Result.isFailure(written)) {
      const error = written.failure
      if (error._tag === "@bga/core/ConflictError") {
        return yield* new Stop({
          why: error.reason === "lease-lost" ? "lease-lost" : "ended",
          detail: error.message
        })
      }
      // Refused as input (too large): trying again would fail the same way, after every restart.
      if (error._tag === "@bga/core/InvalidInputError") return yield* unwritable(env, s, error.message)
      return yield* infrastructure("saving a checkpoint")(error)
    }
    s.cp = next
    s.pending = []
    s.dirty = false
    return outbox
  })

/** A checkpoint that can never be written ends the run rather than failing every resume. */
const unwritable = (env: Env, s: SessionState, detail: string): Effect.Effect<never, Stop> =>
  Effect.flatMap(
    end(
      env,
      s,
      {
        type: "fail",
        reason: "checkpoint_invalid",
        detail: `the run's state could not be saved: ${detail}`.slice(0, 2000)
      },
      []
    ),
    () => Effect.fail(new Stop({ why: "ended", detail }))
  )

/** Saves the checkpoint and appends its outbox: the state before an effect leaves the process. */
export const persist = (env: Env, s: SessionState): Effect.Effect<void, Stop> =>
  Effect.flatMap(save(env, s), (outbox) =>
    Effect.mapError(
      appendEvents(env, s.run.customerInstanceId, outbox),
      infrastructure("appending run events")
    )
  )

/** Usage fields every terminal state change carries, so a finished run's view needs no checkpoint. */
export const usagePayload = (cp: RunCheckpoint) => ({
  usage: { ...cp.usage },
  toolCalls:
    cp.messages.filter((m) => m.role === "tool").length +
    cp.toolCalls.filter((p) => p.status === "finished").length
})

/**
 * Claims a state change for the session's run, recording `events` with it (and any events not
 * yet saved). A lost claim means someone else changed the run first (a cancel): the events
 * still describe what happened, so they are appended after it, and the session stops.
 */
export const change = (
  env: Env,
  s: SessionState,
  lifecycle: RunLifecycleEvent,
  options: {
    readonly before?: ReadonlyArray<RunEventV1>
    readonly after?: ReadonlyArray<RunEventV1>
    readonly payload?: Readonly<Record<string, RunEventV1["payload"][string]>>
  } = {}
): Effect.Effect<Extract<ClaimResult, { _tag: "Won" }>, Stop> =>
  Effect.gen(function* () {
    const before = [...s.pending, ...(options.before ?? [])]
    const result = yield* claim(
      env,
      s.run,
      lifecycle,
      {
        before,
        ...(options.after === undefined ? {} : { after: options.after }),
        ...(options.payload === undefined ? {} : { payload: options.payload })
      },
      s.fence
    ).pipe(
      Effect.mapError((error) =>
        error._tag === "@bga/core/IllegalTransitionError"
          ? new Stop({ why: "ended", detail: error.message })
          : infrastructure(`recording ${lifecycle.type}`)(error)
      )
    )
    if (result._tag === "LeaseLost") {
      s.leaseLost = true
      return yield* new Stop({
        why: "lease-lost",
        detail: "the run's lease was taken over; its new holder applies the change"
      })
    }
    if (result._tag === "Lost") {
      s.run = result.run
      yield* Effect.ignore(appendEvents(env, s.run.customerInstanceId, before))
      return yield* new Stop({ why: "ended", detail: `the run changed elsewhere (now ${result.run.state})` })
    }
    s.run = result.run
    s.pending = []
    return result
  })

/** Ends the run (complete, fail): the final usage rides on the state change. */
export const end = (
  env: Env,
  s: SessionState,
  lifecycle: Extract<RunLifecycleEvent, { type: "complete" | "fail" }>,
  events: ReadonlyArray<RunEventV1>,
  payload: Readonly<Record<string, RunEventV1["payload"][string]>> = {}
): Effect.Effect<void, Stop> =>
  Effect.asVoid(change(env, s, lifecycle, { before: events, payload: { ...usagePayload(s.cp), ...payload } }))
