import { Effect, Result } from "effect"
import type { LaneLimits, QueueFullError } from "./LaneLimits.js"
import * as LaneScheduler from "./LaneScheduler.js"

/**
 * Lanes as the orchestrator uses them: run a piece of work in its customer instance's lane,
 * waiting for a fair turn, holding a slot while it runs, and freeing the slot however it ends
 * (success, failure, interruption). Work interrupted while still queued leaves the queue.
 */
export interface Lanes {
  /**
   * Takes a place in the instance's queue now (synchronously), so a caller learns of a full
   * queue before it writes anything; the ticket's `run` then waits for the turn. Every ticket
   * must be used by `run` or given back with `cancel`.
   */
  readonly enqueue: (customerInstanceId: string) => Result.Result<LaneTicket, QueueFullError>
  /** Runs `effect` in a slot of the instance's lane; fails with `QueueFullError` when refused. */
  readonly run: <A, E, R>(
    customerInstanceId: string,
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | QueueFullError, R>
  /** `run` for Promise code: the signal fires when the caller's own signal does. */
  readonly runPromise: <A>(
    customerInstanceId: string,
    task: (signal: AbortSignal) => Promise<A>,
    options?: { readonly signal?: AbortSignal }
  ) => Promise<A>
  readonly stats: () => LaneScheduler.SchedulerStats
  readonly lane: (customerInstanceId: string) => LaneScheduler.LaneCounts
}

/** A place in a lane taken by `Lanes.enqueue`. */
export interface LaneTicket {
  /**
   * Waits for the turn, runs `effect` holding the slot and frees it however the effect ends
   * (interrupted while waiting, it leaves the queue). Use once.
   */
  readonly run: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Gives the place back unused (leaves the queue, or frees the slot if it was granted). */
  readonly cancel: () => void
  /** True once the slot is granted: `run` will not wait. */
  readonly granted: () => boolean
}

/** What waits in a lane: a way to wake the fiber whose turn it is. */
interface Waiter {
  granted: boolean
  wake: (() => void) | undefined
}

/**
 * Makes lanes over a `LaneScheduler`. One instance per process: limits hold for the work that
 * passes through it.
 *
 * @example
 * ```ts
 * const lanes = Lanes.make(defaultLaneLimits)
 * const result = yield* lanes.run("acme", agentLoop(run))
 * ```
 */
export const make = (limits: LaneLimits): Lanes => {
  const scheduler = LaneScheduler.make<Waiter>(limits)

  const pump = () => {
    for (let ticket = scheduler.dispatch(); ticket !== undefined; ticket = scheduler.dispatch()) {
      ticket.item.granted = true
      ticket.item.wake?.()
    }
  }

  const enqueue = (customerInstanceId: string): Result.Result<LaneTicket, QueueFullError> => {
    const waiter: Waiter = { granted: false, wake: undefined }
    const queued = scheduler.enqueue(customerInstanceId, waiter)
    if (Result.isFailure(queued)) return Result.fail(queued.failure)
    const ticket = queued.success
    pump()
    let settled = false
    const giveBack = () => {
      if (settled) return
      settled = true
      if (scheduler.cancel(ticket) || scheduler.release(ticket)) pump()
    }
    const turn = Effect.callback<void>((resume) => {
      if (waiter.granted) resume(Effect.void)
      else waiter.wake = () => resume(Effect.void)
    })
    return Result.succeed({
      // One finalizer, installed before waiting starts, owns the ticket whatever happens:
      // still queued (interrupted while waiting) -> leave the queue; running -> free the slot.
      run: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.uninterruptibleMask((restore) =>
          restore(turn).pipe(
            Effect.flatMap(() => restore(effect)),
            Effect.ensuring(Effect.sync(giveBack))
          )
        ),
      cancel: giveBack,
      granted: () => waiter.granted
    })
  }

  const run = <A, E, R>(
    customerInstanceId: string,
    effect: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | QueueFullError, R> =>
    Effect.suspend((): Effect.Effect<A, E | QueueFullError, R> => {
      const ticket = enqueue(customerInstanceId)
      return Result.isFailure(ticket) ? Effect.fail(ticket.failure) : ticket.success.run(effect)
    })

  return {
    enqueue,
    run,
    runPromise: (customerInstanceId, task, options) =>
      Effect.runPromise(
        run(
          customerInstanceId,
          Effect.tryPromise({ try: (signal) => task(signal), catch: (error) => error })
        ),
        options?.signal === undefined ? undefined : { signal: options.signal }
      ),
    stats: scheduler.stats,
    lane: scheduler.lane
  }
}
