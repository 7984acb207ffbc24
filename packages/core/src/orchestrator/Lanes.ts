import { Effect, Result } from "effect"
import type { LaneLimits, QueueFullError } from "./LaneLimits.js"
import * as LaneScheduler from "./LaneScheduler.js"

/**
 * Lanes as the orchestrator uses them: run a piece of work in its customer instance's lane,
 * waiting for a fair turn, holding a slot while it runs, and freeing the slot however it ends
 * (success, failure, interruption). Work interrupted while still queued leaves the queue.
 */
export interface Lanes {
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

  const run = <A, E, R>(
    customerInstanceId: string,
    effect: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | QueueFullError, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend((): Effect.Effect<A, E | QueueFullError, R> => {
        const waiter: Waiter = { granted: false, wake: undefined }
        const queued = scheduler.enqueue(customerInstanceId, waiter)
        if (Result.isFailure(queued)) return Effect.fail(queued.failure)
        const ticket = queued.success
        pump()
        const turn = Effect.callback<void>((resume) => {
          if (waiter.granted) resume(Effect.void)
          else waiter.wake = () => resume(Effect.void)
        })
        // One finalizer, installed before waiting starts, owns the ticket whatever happens:
        // still queued (interrupted while waiting) -> leave the queue; running -> free the slot.
        return restore(turn).pipe(
          Effect.flatMap(() => restore(effect)),
          Effect.ensuring(
            Effect.sync(() => {
              if (scheduler.cancel(ticket) || scheduler.release(ticket)) pump()
            })
          )
        )
      })
    )

  return {
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
