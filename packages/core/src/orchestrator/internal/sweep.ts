import { Effect, type Scope } from "effect"
import type { Env } from "./env.js"
import type { Runner } from "./runner.js"

/** What one recovery pass found. */
export interface RecoveryReport {
  /** Runs handed to a session: queued, left RUNNING by a dead worker, or waiting for approval. */
  readonly scheduled: number
  /** Runs whose worker's lease has not expired yet: looked at again when it does. */
  readonly deferred: number
}

/** Most runs one pass looks at per customer instance. */
const maxRunsPerPass = 100_000

/**
 * Looks at every run of an instance that has not ended: queued runs are queued here, runs left
 * RUNNING by a worker whose lease expired are taken over (requeued and resumed from their
 * checkpoint), and waiting runs are checked for a decided approval. Runs a live worker holds
 * are looked at again when its lease would expire.
 */
export const recoverInstance = (env: Env, runner: Runner, scope: Scope.Scope, customerInstanceId: string) =>
  Effect.gen(function* () {
    let scheduled = 0
    let deferred = 0
    let cursor: string | undefined
    for (let seen = 0; seen < maxRunsPerPass; ) {
      const page = yield* env.runs.list(customerInstanceId, {
        states: ["QUEUED", "RUNNING", "WAITING_APPROVAL"],
        order: "asc",
        limit: 500,
        ...(cursor === undefined ? {} : { cursor })
      })
      const now = Date.now()
      for (const run of page.items) {
        seen++
        if (runner.has(customerInstanceId, run.runId)) continue
        const leaseEnds = run.lease === undefined ? 0 : Date.parse(run.lease.expiresAt)
        if (
          run.state !== "WAITING_APPROVAL" &&
          leaseEnds > now &&
          run.lease?.workerId !== env.options.workerId
        ) {
          deferred++
          yield* Effect.forkIn(
            Effect.sleep(leaseEnds - now + 50).pipe(
              Effect.andThen(env.schedule({ customerInstanceId, runId: run.runId, reason: "scan" }))
            ),
            scope
          )
          continue
        }
        scheduled++
        yield* env.schedule({ customerInstanceId, runId: run.runId, reason: "scan" })
      }
      cursor = page.nextCursor
      if (cursor === undefined) break
    }
    return { scheduled, deferred } satisfies RecoveryReport
  })

/**
 * The periodic sweep of one instance: expire approvals past their deadline (a denial by the
 * system, audited by the tool runtime) and resume their runs; take over runs whose worker's
 * lease expired.
 */
export const sweepInstance = (env: Env, customerInstanceId: string) =>
  Effect.gen(function* () {
    const expired = yield* env.tools.expireApprovals(customerInstanceId)
    for (const record of expired) {
      yield* env.schedule({ customerInstanceId, runId: record.runId, reason: "trigger" })
    }
    const abandoned = yield* env.runs.listExpiredLeases(customerInstanceId, { limit: 500 })
    for (const run of abandoned) {
      yield* env.schedule({ customerInstanceId, runId: run.runId, reason: "scan" })
    }
  })
