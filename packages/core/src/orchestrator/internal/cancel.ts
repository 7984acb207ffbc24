import { Effect, Option, Result } from "effect"
import type { Actor } from "../../contracts/Actor.js"
import { decodeCheckpoint } from "../Checkpoint.js"
import { OrchestratorError } from "../Orchestrator.js"
import { isTerminal } from "../RunStateMachine.js"
import type { Env } from "./env.js"
import { toOrchestratorError } from "./errors.js"
import { appendEvents, claim, ensureCreated, settle } from "./journal.js"
import { usagePayload } from "./state.js"

/**
 * Cancels a live run wherever it runs. The cancel is a claimed state change like any other, so
 * it either wins (the run is CANCELLED, the event names who and why) or loses to a change that
 * came first (then it is tried again on the run as it now stands). A worker of this process
 * is aborted by the caller; a worker elsewhere learns it at its next heartbeat (an ended run
 * holds no lease) and aborts its model call and tool handler then. Cancelling a CANCELLED run
 * again succeeds without changing it.
 */
export const cancelRun = (env: Env, ci: string, runId: string, actor: Actor, reason: string | undefined) =>
  Effect.gen(function* () {
    const fail = toOrchestratorError(runId)
    for (let attempt = 0; attempt < 8; attempt++) {
      let run = yield* Effect.mapError(env.runs.get(ci, runId), fail)
      if (run.state === "CANCELLED") return run
      if (isTerminal(run.state)) {
        return yield* new OrchestratorError({
          reason: "already-ended",
          detail: `the run has already ended (${run.state})`,
          runId
        })
      }
      // Catch up on what the worker may have left half-recorded, so the cancel event comes last.
      run = yield* Effect.mapError(settle(env, run), fail)
      if (isTerminal(run.state)) continue
      if (run.version === 1) yield* Effect.mapError(ensureCreated(env, run), fail)
      const latest = yield* Effect.mapError(env.runs.latestCheckpoint(ci, runId), fail)
      let usage = {}
      if (Option.isSome(latest)) {
        const cp = decodeCheckpoint(latest.value.data, run)
        if (Result.isSuccess(cp)) {
          yield* Effect.mapError(appendEvents(env, ci, cp.success.outbox), fail)
          usage = usagePayload(cp.success)
        }
      }
      const result = yield* Effect.mapError(
        claim(
          env,
          run,
          { type: "cancel", by: actor, ...(reason === undefined ? {} : { reason }) },
          { payload: usage }
        ),
        fail
      )
      if (result._tag === "Won") return result.run
    }
    return yield* new OrchestratorError({
      reason: "store-unavailable",
      detail: "the run kept changing while it was being cancelled; try again",
      runId
    })
  })
