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

type Resume = (effect: Effect.Effect<LaneScheduler.Ticket<Waiter>>) => void
interface Waiter {
  readonly resume: Resume
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
      ticket.item.resume(Effect.succeed(ticket))
    }
  }

  const release = (ticket: LaneScheduler.Ticket<Waiter>) =>
    Effect.sync(() => {
      if (scheduler.release(ticket)) pump()
    })

  const acquire = (customerInstanceId: string) =>
    Effect.callback<LaneScheduler.Ticket<Waiter>, QueueFullError>((resume, _signal) => {
      const queued = scheduler.enqueue(customerInstanceId, { resume })
      if (Result.isFailure(queued)) {
        resume(Effect.fail(queued.failure))
        return
      }
      pump()
      // Interrupted while waiting: leave the queue; if the slot was handed over in the same
      // instant, give it back.
      return Effect.sync(() => {
        if (!scheduler.cancel(queued.success) && scheduler.release(queued.success)) pump()
      })
    })

  const run = <A, E, R>(customerInstanceId: string, effect: Effect.Effect<A, E, R>) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(acquire(customerInstanceId)), (ticket) =>
        restore(effect).pipe(Effect.ensuring(release(ticket)))
      )
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
