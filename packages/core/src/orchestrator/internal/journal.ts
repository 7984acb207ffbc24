import { Effect, Result } from "effect"
import type { RunEventV1 } from "../../contracts/RunEvent.js"
import type { RunState } from "../../contracts/RunState.js"
import type { InvalidInputError } from "../../json/JsonError.js"
import type { ConflictError, NotFoundError, StorageError } from "../../storage/errors.js"
import type { RunRecord } from "../../storage/RunRecord.js"
import type { LeaseFence } from "../../storage/RunStore.js"
import { type RunEventContext, runCreated, runEventContext, stateChanged } from "../RunEvents.js"
import { type IllegalTransitionError, type RunLifecycleEvent, transition } from "../RunStateMachine.js"
import type { Env } from "./env.js"
import { eventIdFor, eventKeys, traceIdOf } from "./ids.js"

/**
 * The journal: how run events reach the audit log and how state changes are made durable.
 *
 * Every state change is *claimed* before it is applied. The claim is the `run.state_changed`
 * event for the run's next version, appended under a record id derived from (run, version)
 * (`eventIdFor`): the audit log takes one record per id, so of two writers racing for the same
 * version (a worker finishing, an operator cancelling) exactly one gets it, and the other learns
 * it lost. The winner then moves the run in `RunStore` (compare-and-set on the version, and for a
 * worker on its lease epoch too: a worker whose lease was taken over cannot apply it). A
 * claim recorded but not yet applied (a crash in between) is applied by whoever touches the run
 * next (`settle`), so the audit log and the store never disagree for long and never disagree in
 * what happened: no state change without its event, no event without its state change.
 */

type AppendError = InvalidInputError | ConflictError | StorageError

/** The context every event of a run carries (trace id derived from the run id). */
export const contextOf = (run: RunRecord): RunEventContext =>
  runEventContext(
    { runId: run.runId, customerInstanceId: run.customerInstanceId, environment: run.request.environment },
    traceIdOf(run.runId)
  )

const notify = (env: Env, events: ReadonlyArray<RunEventV1>) => {
  const listener = env.options.onEvent
  if (listener === undefined) return
  for (const event of events) {
    try {
      listener(event)
    } catch {
      // A listener's fault must not stop a run.
    }
  }
}

/**
 * Appends events atomically and idempotently (the event id is the record id): appending the
 * same batch again, e.g. the outbox of a checkpoint after a crash, returns the records already
 * there instead of adding copies.
 */
export const appendEvents = (
  env: Env,
  customerInstanceId: string,
  events: ReadonlyArray<RunEventV1>
): Effect.Effect<void, AppendError> =>
  events.length === 0
    ? Effect.void
    : Effect.map(
        env.audit.appendAll(
          customerInstanceId,
          events.map((payload) => ({ kind: "run_event" as const, recordId: payload.eventId, payload }))
        ),
        () => notify(env, events)
      )

/**
 * Appends one event whose id is derived (`eventIdFor`); when a record already holds that id the
 * event is on record (possibly written earlier with another timestamp), which is what counts.
 */
export const ensureEvent = (
  env: Env,
  customerInstanceId: string,
  event: RunEventV1
): Effect.Effect<void, InvalidInputError | StorageError> =>
  appendEvents(env, customerInstanceId, [event]).pipe(
    Effect.catchTag("@bga/core/ConflictError", () => Effect.void)
  ) as Effect.Effect<void, InvalidInputError | StorageError>

/** `run.created`, built from the stored record only, so any process can (re)append it identically. */
export const createdEvent = (run: RunRecord): RunEventV1 => ({
  ...runCreated(
    contextOf(run),
    {
      actor: run.request.actor,
      ...(run.request.channelContext === undefined ? {} : { channel: run.request.channelContext.channel }),
      ...(run.idempotencyKey === undefined ? {} : { idempotencyKey: run.idempotencyKey })
    },
    new Date(run.createdAt)
  ),
  eventId: eventIdFor(run.runId, eventKeys.created)
})

/** Appends `run.created` unless it is on record (a create interrupted by a crash). */
export const ensureCreated = (env: Env, run: RunRecord) =>
  ensureEvent(env, run.customerInstanceId, createdEvent(run))

/** The latest `run.state_changed` event recorded for a run, if any. */
export const latestStateEvent = (env: Env, run: RunRecord) =>
  Effect.map(
    env.audit.list(run.customerInstanceId, {
      runId: run.runId,
      kinds: ["run_event"],
      eventType: "run.state_changed",
      order: "desc",
      limit: 1
    }),
    (page) => page.items[0]?.payload as RunEventV1 | undefined
  )

const recordedVersion = (event: RunEventV1 | undefined): number | undefined => {
  const v = event?.payload.version
  return typeof v === "number" ? v : undefined
}

type SettleError = InvalidInputError | NotFoundError | ConflictError | StorageError

/**
 * Applies a state change that was claimed (its event is on record) but not applied to the store
 * (the claimant stopped in between). Returns the run as it now stands.
 */
export const settle = (env: Env, run: RunRecord, fence?: LeaseFence): Effect.Effect<RunRecord, SettleError> =>
  Effect.gen(function* () {
    let current = run
    for (let i = 0; i < 4; i++) {
      const event = yield* latestStateEvent(env, current)
      if (recordedVersion(event) !== current.version + 1) return current
      const to = event?.payload.to as RunState
      const applied = yield* Effect.result(
        env.runs.transition(current.customerInstanceId, current.runId, {
          to,
          expectedVersion: current.version,
          ...(fence === undefined ? {} : { fence })
        })
      )
      current = Result.isSuccess(applied)
        ? applied.success
        : yield* env.runs.get(current.customerInstanceId, current.runId)
    }
    return current
  })

/** What became of a claim. */
export type ClaimResult =
  | { readonly _tag: "Won"; readonly run: RunRecord; readonly event: RunEventV1 }
  /** Someone else changed the run first; `run` is the run after their change. */
  | { readonly _tag: "Lost"; readonly run: RunRecord }
  /**
   * The change is claimed but the store refused to apply it for this worker: its lease was
   * taken over. The claim stands; the lease's new holder applies it (`settle`).
   */
  | { readonly _tag: "LeaseLost"; readonly run: RunRecord }

/** Extra fields of a state-change event and events recorded together with it (atomically). */
export interface ClaimExtras {
  readonly payload?: Readonly<Record<string, RunEventV1["payload"][string]>>
  readonly before?: ReadonlyArray<RunEventV1>
  readonly after?: ReadonlyArray<RunEventV1>
}

/**
 * Claims and applies one state change of `run` (as last read). Illegal changes fail with
 * `IllegalTransitionError` before anything is written. The events of `extras` are recorded in
 * the same atomic append as the state change: if the claim is lost, none of them is.
 */
export const claim = (
  env: Env,
  run: RunRecord,
  lifecycle: RunLifecycleEvent,
  extras: ClaimExtras = {},
  fence?: LeaseFence
): Effect.Effect<ClaimResult, IllegalTransitionError | SettleError> =>
  Effect.gen(function* () {
    const change = yield* Effect.fromResult(transition(run, lifecycle))
    const version = run.version + 1
    const built = stateChanged(contextOf(run), change)
    const event: RunEventV1 = {
      ...built,
      eventId: eventIdFor(run.runId, eventKeys.state(version)),
      payload: { ...built.payload, ...extras.payload, version }
    }
    const batch = [...(extras.before ?? []), event, ...(extras.after ?? [])]
    const appended = yield* Effect.result(appendEvents(env, run.customerInstanceId, batch))
    if (Result.isFailure(appended)) {
      const error = appended.failure
      // Matched by tag: an adapter may carry its own copy of the error classes.
      if (error._tag === "@bga/core/ConflictError" && error.reason === "already-exists") {
        const latest = yield* settle(env, yield* env.runs.get(run.customerInstanceId, run.runId), fence)
        if (latest.version === run.version && batch.length > 1) {
          // Nobody claimed this version: some of the extra events were on record already (an
          // outbox appended before a crash). Record them on their own, then claim alone.
          yield* appendEvents(env, run.customerInstanceId, extras.before ?? [])
          const result = yield* claim(
            env,
            run,
            lifecycle,
            { ...(extras.payload ? { payload: extras.payload } : {}) },
            fence
          )
          if (result._tag === "Won") yield* appendEvents(env, run.customerInstanceId, extras.after ?? [])
          return result
        }
        // Another writer holds this version: its change is applied; report the run as it stands.
        return { _tag: "Lost", run: latest } satisfies ClaimResult
      }
      return yield* Effect.fail(error)
    }
    for (let attempt = 0; ; attempt++) {
      const applied = yield* Effect.result(
        env.runs.transition(run.customerInstanceId, run.runId, {
          to: change.to,
          expectedVersion: run.version,
          ...(fence === undefined ? {} : { fence })
        })
      )
      if (Result.isSuccess(applied)) return { _tag: "Won", run: applied.success, event } satisfies ClaimResult
      const error = applied.failure
      if (error._tag === "@bga/core/ConflictError" && error.reason === "lease-lost") {
        return { _tag: "LeaseLost", run } satisfies ClaimResult
      }
      if (error._tag === "@bga/core/ConflictError") {
        // Someone applied our claim for us (settle), or the store moved without a claim.
        const latest = yield* env.runs.get(run.customerInstanceId, run.runId)
        if (latest.version === version && latest.state === change.to) {
          return { _tag: "Won", run: latest, event } satisfies ClaimResult
        }
        return { _tag: "Lost", run: latest } satisfies ClaimResult
      }
      // The claim is on record; a store that stays down leaves it to `settle`.
      if (error._tag !== "@bga/core/StorageError" || attempt >= 2) return yield* Effect.fail(error)
      yield* Effect.sleep(50 * (attempt + 1))
    }
  })
