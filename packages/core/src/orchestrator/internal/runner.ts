import { Deferred, Effect, Result, type Scope } from "effect"
import type { RunRecord } from "../../storage/RunRecord.js"
import type { LaneTicket } from "../Lanes.js"
import type { Env, ScheduleRequest } from "./env.js"
import { describeStop, type LocalRun, runSession } from "./session.js"

interface Entry extends LocalRun {
  readonly done: Deferred.Deferred<void>
}

/**
 * The runs this process works on: at most one session per run at a time, each in a slot of its
 * customer instance's lane. A request for a run that already has a session here is folded into
 * it (`again`: the session looks at the run once more when it is done).
 */
export interface Runner {
  readonly schedule: (
    env: Env,
    request: ScheduleRequest & { readonly record?: RunRecord; readonly ticket?: LaneTicket }
  ) => Effect.Effect<void>
  /** The run's session here, if any (cancel aborts its signal). */
  readonly local: (customerInstanceId: string, runId: string) => LocalRun | undefined
  readonly has: (customerInstanceId: string, runId: string) => boolean
  /** Waits until no session is queued or running here. */
  readonly awaitIdle: Effect.Effect<void>
  readonly size: () => number
}

const keyOf = (customerInstanceId: string, runId: string) => `${customerInstanceId}\u0000${runId}`

export const makeRunner = (scope: Scope.Scope): Runner => {
  const entries = new Map<string, Entry>()

  const schedule: Runner["schedule"] = (env, request) =>
    Effect.suspend(() => {
      const key = keyOf(request.customerInstanceId, request.runId)
      const existing = entries.get(key)
      if (existing !== undefined) {
        request.ticket?.cancel()
        if (request.reason !== "scan") existing.again = true
        return Effect.void
      }
      let ticket = request.ticket
      if (ticket === undefined) {
        const queued = env.lanes.enqueue(request.customerInstanceId)
        // A full queue drops the request; the run stays as stored and a later sweep retries it.
        if (Result.isFailure(queued)) {
          env.options.log({
            level: "warn",
            message: "lane queue full; the run waits for the next sweep",
            runId: request.runId,
            customerInstanceId: request.customerInstanceId
          })
          return Effect.void
        }
        ticket = queued.success
      }
      const entry: Entry = { controller: undefined, again: false, done: Deferred.makeUnsafe<void>() }
      entries.set(key, entry)
      const sessions = Effect.gen(function* () {
        let next: typeof request = request
        for (let round = 0; round < 100; round++) {
          entry.again = false
          const exit = yield* Effect.exit(runSession(env, entry, next))
          if (exit._tag === "Failure") {
            const line = describeStop(exit.cause)
            if (line !== undefined) env.options.log({ ...line, runId: request.runId })
          }
          if (!entry.again) return
          next = { customerInstanceId: request.customerInstanceId, runId: request.runId, reason: "trigger" }
        }
      })
      const lane = ticket
      return Effect.asVoid(
        Effect.forkIn(
          lane.run(sessions).pipe(
            Effect.ensuring(
              Effect.suspend(() => {
                entries.delete(key)
                return Deferred.succeed(entry.done, undefined)
              })
            )
          ),
          scope
        )
      )
    })

  return {
    schedule,
    local: (ci, runId) => entries.get(keyOf(ci, runId)),
    has: (ci, runId) => entries.has(keyOf(ci, runId)),
    awaitIdle: Effect.gen(function* () {
      for (let i = 0; i < 1_000_000 && entries.size > 0; i++) {
        yield* Effect.forEach([...entries.values()], (e) => Deferred.await(e.done), { discard: true })
      }
    }),
    size: () => entries.size
  }
}
