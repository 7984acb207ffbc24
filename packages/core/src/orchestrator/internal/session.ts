import { Cause, Effect, Fiber, Option, Result } from "effect"
import { canonicalJson } from "../../hash.js"
import type { RunRecord } from "../../storage/RunRecord.js"
import { decodeCheckpoint, type RunCheckpoint } from "../Checkpoint.js"
import { closeStep, initialCheckpoint, nextToolCall, setToolCall } from "../CheckpointSteps.js"
import { planRecovery } from "../Recovery.js"
import * as RunEvents from "../RunEvents.js"
import { isTerminal } from "../RunStateMachine.js"
import { approvalResolvedEvent, approvalStatus, requestReapproval } from "./approvals.js"
import type { Env, ScheduleRequest } from "./env.js"
import { appendEvents, claim, contextOf, createdEvent, ensureCreated, settle } from "./journal.js"
import { change, end, infrastructure, persist, type SessionState, Stop } from "./state.js"
import { applyApproval, awaitApproval, modelStep, toolCall } from "./steps.js"

/** What the service keeps of a run a session of this process works on. */
export interface LocalRun {
  /** Aborts the model call or tool handler in flight (cancel, lease lost, shutdown). */
  controller: AbortController | undefined
  /** Set when something happened to the run while a session was on it: run another after. */
  again: boolean
}

/** Most loop iterations of one session: a guard against a bug looping forever. */
const maxIterations = 100_000

/** The text the run starts from: the input, and its structured data when there is any. */
const inputText = (run: RunRecord): string =>
  run.request.input.data === undefined
    ? run.request.input.text
    : `${run.request.input.text}\n\n${canonicalJson(run.request.input.data)}`

const freshCheckpoint = (run: RunRecord): RunCheckpoint =>
  initialCheckpoint({
    runId: run.runId,
    customerInstanceId: run.customerInstanceId,
    traceId: contextOf(run).traceId,
    input: inputText(run)
  })

/** The latest checkpoint, read back like untrusted input; `undefined` when it cannot be read. */
const loadCheckpoint = (env: Env, run: RunRecord) =>
  Effect.map(env.runs.latestCheckpoint(run.customerInstanceId, run.runId), (latest) => {
    if (Option.isNone(latest)) return freshCheckpoint(run)
    const decoded = decodeCheckpoint(latest.value.data, {
      runId: run.runId,
      customerInstanceId: run.customerInstanceId
    })
    return Result.isSuccess(decoded) ? decoded.success : decoded.failure
  })

const heartbeat = (env: Env, s: SessionState) =>
  Effect.gen(function* () {
    for (;;) {
      yield* Effect.sleep(env.options.heartbeatMs)
      const renewed = yield* Effect.result(
        env.runs.renewLease(s.run.customerInstanceId, s.run.runId, s.fence, env.options.leaseTtlMs)
      )
      if (Result.isFailure(renewed) && renewed.failure._tag === "@bga/core/ConflictError") {
        // Cancelled or ended elsewhere (an ended run holds no lease), or taken over after a stall.
        s.leaseLost = true
        s.controller.abort(new Error("the run's lease was lost: it was cancelled, ended or taken over"))
        return
      }
    }
  })

/** The loop: model steps and tool calls until the run ends or waits. */
const loop = (env: Env, s: SessionState, justRequested: boolean) =>
  Effect.gen(function* () {
    let known = justRequested
    for (let i = 0; i < maxIterations; i++) {
      const closed = closeStep(s.cp)
      if (closed !== s.cp) {
        s.cp = closed
        s.dirty = true
      }
      const next = nextToolCall(s.cp)
      let step: "continue" | "done"
      if (next === undefined) step = yield* modelStep(env, s)
      else if (next.status === "pending" || next.status === "approved") {
        step = yield* toolCall(env, s, next)
        known = true
      } else if (next.status === "awaiting_approval") {
        step = yield* awaitApproval(env, s, next, known)
        known = false
      } else {
        return yield* new Stop({
          why: "infrastructure",
          detail: `tool call ${next.call.id} is started with no recorded end outside recovery`
        })
      }
      if (step === "done") return
    }
    yield* end(
      env,
      s,
      { type: "fail", reason: "internal_error", detail: "the agent loop did not converge" },
      []
    )
  })

/**
 * Takes the run from the state its store record says (QUEUED, WAITING_APPROVAL, or RUNNING
 * left by a dead worker) to RUNNING, applying crash recovery and approval decisions on the way.
 * Returns false when there is nothing to run (the approval is still pending, the run ended).
 */
const enter = (
  env: Env,
  s: SessionState,
  previousWorkerId: string | undefined,
  request: ScheduleRequest,
  fresh: boolean
) =>
  Effect.gen(function* () {
    for (let i = 0; i < 8; i++) {
      if (isTerminal(s.run.state)) return false
      if (s.run.state === "RUNNING") {
        // We hold the lease, so the worker that left it RUNNING is gone.
        yield* change(env, s, {
          type: "requeue",
          reason: previousWorkerId === env.options.workerId ? "worker_stopped" : "lease_expired",
          ...(previousWorkerId === undefined ? {} : { previousWorkerId })
        })
        continue
      }
      if (s.run.state === "QUEUED") {
        const interrupted = s.cp.toolCalls.some((p) => p.status === "started")
        const plan = interrupted
          ? planRecovery(s.cp, { nonIdempotent: env.options.nonIdempotentRecovery })
          : undefined
        const recovered =
          plan === undefined
            ? []
            : [
                RunEvents.recovered(s.context, "RUNNING", {
                  fromStep: s.cp.usage.steps,
                  ...(previousWorkerId === undefined ? {} : { previousWorkerId }),
                  actions: plan.actions
                })
              ]
        // A run just created here records its creation in the same append as its start.
        const creation = fresh && request.createdRecorded === false ? [createdEvent(s.run)] : []
        yield* change(
          env,
          s,
          { type: "start", workerId: env.options.workerId },
          { before: creation, after: recovered }
        )
        if (plan === undefined) return true
        s.cp = plan.checkpoint
        s.dirty = true
        if (plan.next === "fail") {
          const failed = plan.actions.filter((a) => a.action === "fail")
          yield* end(
            env,
            s,
            {
              type: "fail",
              reason: "outcome_unknown",
              detail: `${failed.map((a) => `${a.toolName} (invocation ${a.invocationId})`).join(", ")} stopped with the process running it; the tool is not idempotent, so the call was not run again and its outcome is unknown`
            },
            failed.map((a) =>
              RunEvents.toolCompleted(s.context, "RUNNING", {
                toolCallId: a.toolCallId,
                toolName: a.toolName,
                outcome: "outcome_unknown",
                invocationId: a.invocationId
              })
            )
          )
          return false
        }
        for (const action of plan.actions) {
          if (action.action !== "reapprove") continue
          const started = s.cp.toolCalls.find((p) => p.call.id === action.toolCallId)
          if (started?.status !== "started") continue
          const asked = yield* Effect.mapError(
            requestReapproval(env, s, started),
            infrastructure("asking for a re-approval")
          )
          s.cp = setToolCall(s.cp, asked.waiting)
          s.pending.push(asked.event)
        }
        return true
      }
      // WAITING_APPROVAL
      const waiting = s.cp.toolCalls.find((p) => p.status === "awaiting_approval")
      if (waiting === undefined || waiting.status !== "awaiting_approval") {
        yield* claimFailure(env, s, "the run waits for approval but its checkpoint has no call waiting")
        return false
      }
      const status = yield* Effect.mapError(
        approvalStatus(env, s.run.customerInstanceId, waiting.approvalId),
        infrastructure("reading an approval")
      )
      if (status._tag === "Pending") {
        yield* Effect.ignore(env.runs.releaseLease(s.run.customerInstanceId, s.run.runId, s.fence))
        return false
      }
      const event = approvalResolvedEvent(s, status)
      const applied = yield* applyApproval(env, s, waiting, status.outcome, event)
      if (applied === "done") return false
      yield* change(env, s, {
        type: "resume",
        approvalId: waiting.approvalId,
        outcome: status.outcome,
        workerId: env.options.workerId
      })
      return true
    }
    return false
  })

const claimFailure = (env: Env, s: SessionState, detail: string) =>
  Effect.asVoid(
    Effect.mapError(
      claim(env, s.run, { type: "fail", reason: "checkpoint_invalid", detail }, {}, s.fence),
      (e) =>
        e._tag === "@bga/core/IllegalTransitionError"
          ? new Stop({ why: "ended", detail: e.message })
          : infrastructure("failing the run")(e)
    )
  )

/**
 * One session of one run on this worker: take the lease, keep it alive with heartbeats, bring
 * the run to RUNNING and loop until it ends or waits. Everything it learns comes from storage,
 * so the same code resumes a run after an approval, after a crash and after a restart.
 */
export const runSession = (
  env: Env,
  local: LocalRun,
  request: ScheduleRequest & { readonly record?: RunRecord }
): Effect.Effect<void, Stop> =>
  Effect.gen(function* () {
    const { customerInstanceId: ci, runId } = request
    const fresh = request.reason === "created" && request.record !== undefined
    const before = fresh
      ? request.record
      : yield* Effect.orElseSucceed(env.runs.get(ci, runId), () => undefined)
    if (before === undefined || isTerminal(before.state)) return
    const acquired = yield* Effect.result(
      env.runs.acquireLease(ci, runId, { workerId: env.options.workerId, ttlMs: env.options.leaseTtlMs })
    )
    if (Result.isFailure(acquired)) {
      const error = acquired.failure
      // Held by a live worker, ended or gone: nothing for this session to do.
      if (error._tag === "@bga/core/ConflictError" || error._tag === "@bga/core/NotFoundError") return
      return yield* infrastructure("taking the run's lease")(error)
    }
    const fence = { workerId: env.options.workerId, epoch: acquired.success.epoch }
    let run = fresh
      ? before
      : yield* Effect.mapError(env.runs.get(ci, runId), infrastructure("reading the run"))
    let cp: RunCheckpoint
    if (fresh) cp = freshCheckpoint(run)
    else {
      const loaded = yield* Effect.mapError(
        loadCheckpoint(env, run),
        infrastructure("reading the checkpoint")
      )
      yield* Effect.mapError(
        Effect.gen(function* () {
          if (run.version === 1) yield* ensureCreated(env, run)
          run = yield* settle(env, run, fence)
          if (!("_tag" in loaded)) yield* appendEvents(env, ci, loaded.outbox)
        }),
        infrastructure("catching up on the run's events")
      )
      if ("_tag" in loaded) {
        const s0 = session(run, freshCheckpoint(run), fence, local)
        yield* claimFailure(env, s0, `the last checkpoint cannot be read: ${loaded.message}`)
        return
      }
      cp = loaded
    }
    const s = session(run, cp, fence, local)
    const beat = yield* Effect.forkChild(heartbeat(env, s))
    const previousWorkerId = before.lease?.workerId
    const work = Effect.gen(function* () {
      if (!(yield* enter(env, s, previousWorkerId, request, fresh))) return
      yield* loop(
        env,
        s,
        s.pending.some((e) => e.type === "run.approval_requested")
      )
    })
    yield* work.pipe(
      Effect.onInterrupt(() => stopping(env, s)),
      Effect.ensuring(Fiber.interrupt(beat))
    )
  })

const session = (
  run: RunRecord,
  cp: RunCheckpoint,
  fence: { readonly workerId: string; readonly epoch: number },
  local: LocalRun
): SessionState => {
  const controller = new AbortController()
  local.controller = controller
  return {
    run,
    cp,
    fence,
    context: contextOf(run),
    controller,
    dirty: false,
    pending: [],
    leaseLost: false
  }
}

/**
 * The process is shutting down: abort what is in flight, put the run back in the queue and
 * give the lease back, so another worker resumes it from its checkpoint at once instead of
 * after the lease expires. Bounded: a store that does not answer leaves it to the lease.
 */
const stopping = (env: Env, s: SessionState) =>
  Effect.gen(function* () {
    s.controller.abort(new Error("the worker is stopping"))
    if (s.leaseLost || s.run.state !== "RUNNING") return
    // What finished before the stop is kept, so it is not mistaken for an interrupted call.
    yield* Effect.ignore(persist(env, s))
    const requeued = yield* Effect.result(
      claim(
        env,
        s.run,
        { type: "requeue", reason: "worker_stopped", previousWorkerId: s.fence.workerId },
        {},
        s.fence
      )
    )
    if (Result.isSuccess(requeued) && requeued.success._tag === "Won") {
      yield* Effect.ignore(env.runs.releaseLease(s.run.customerInstanceId, s.run.runId, s.fence))
    }
  }).pipe(Effect.timeout(env.options.shutdownTimeoutMs), Effect.ignore)

/** Logs what ended a session that did not end its run. */
export const describeStop = (cause: Cause.Cause<Stop>): Readonly<Record<string, unknown>> | undefined => {
  const error = Cause.squash(cause)
  if (error instanceof Stop) {
    return error.why === "infrastructure"
      ? { level: "warn", stop: error.why, detail: error.detail }
      : undefined
  }
  if (Cause.hasInterruptsOnly(cause)) return undefined
  return { level: "error", stop: "defect", detail: error instanceof Error ? error.message : String(error) }
}
