import { Effect, Result } from "effect"
import type { ApprovalOutcome } from "../../contracts/Approval.js"
import type { RunEventV1 } from "../../contracts/RunEvent.js"
import { canonicalJson, hashOf } from "../../hash.js"
import { newId } from "../../ids.js"
import type { ModelError } from "../../model/ModelError.js"
import type { ModelRequest, ModelResponse } from "../../model/ModelPort.js"
import type { InvokeOutcome } from "../../tools/internal/invoke.js"
import { checkAfterStep, checkBeforeStep, costOf, describeExceeded } from "../Budget.js"
import type { ToolCallAwaitingApproval, ToolCallProgress } from "../Checkpoint.js"
import { recordModelStep, resolveApproval, setToolCall } from "../CheckpointSteps.js"
import * as RunEvents from "../RunEvents.js"
import { approvalResolvedEvent, approvalStatus } from "./approvals.js"
import type { Env } from "./env.js"
import { ensureEvent } from "./journal.js"
import { change, checkStop, end, infrastructure, persist, type SessionState, Stop, save } from "./state.js"

/** What the loop does after a step. */
type Next = "continue" | "done"

const jsonValue = (value: unknown): RunEventV1["payload"][string] => {
  try {
    return JSON.parse(canonicalJson(value ?? null)) as RunEventV1["payload"][string]
  } catch {
    return String(value)
  }
}

const safeHash = (value: unknown): string => {
  try {
    return hashOf(value ?? null)
  } catch {
    return hashOf(String(value))
  }
}

/** Tool calls the run has made so far (tool results in the conversation and in this step). */
const toolCallsSoFar = (s: SessionState): number =>
  s.cp.messages.filter((m) => m.role === "tool").length +
  s.cp.toolCalls.filter((p) => p.status === "finished").length

/** One model call, retried while the model says a retry may help and the run is not cancelled. */
const generate = (
  env: Env,
  s: SessionState,
  request: ModelRequest
): Effect.Effect<ModelResponse, ModelError> =>
  Effect.gen(function* () {
    for (let attempt = 0; ; attempt++) {
      const result = yield* Effect.result(env.model.generate(request))
      if (Result.isSuccess(result)) return result.success
      const error = result.failure
      if (!error.retryable || attempt >= env.options.modelRetries || s.controller.signal.aborted) {
        return yield* Effect.fail(error)
      }
      yield* Effect.sleep(env.options.modelRetryDelayMs * 2 ** attempt)
    }
  })

/** Longest final answer kept in the `run.output` event (and shown as the run's output). */
const maxOutputChars = 100_000

/**
 * Tool results are matched to calls by id, so the ids of one step must differ; a provider that
 * repeats one would otherwise leave a call that never finishes. Repeats get a suffix.
 */
const uniqueCallIds = (response: ModelResponse): ModelResponse => {
  // Every id the model sent is taken up front, so a suffixed repeat can never land on an id a
  // later (or earlier) call already uses: ["a#2", "a", "a"] must not yield two "a#2".
  const taken = new Set(response.toolCalls.map((call) => call.id))
  const kept = new Set<string>()
  let changed = false
  let n = 1
  const toolCalls = response.toolCalls.map((call) => {
    if (!kept.has(call.id)) {
      kept.add(call.id)
      return call
    }
    changed = true
    let id: string
    do id = `${call.id.slice(0, 480)}#${n++}`
    while (taken.has(id))
    taken.add(id)
    kept.add(id)
    return { ...call, id }
  })
  return changed ? { ...response, toolCalls } : response
}

/** A model step: budgets first, then the model, then the step is recorded or the run ends. */
export const modelStep = (env: Env, s: SessionState): Effect.Effect<Next, Stop> =>
  Effect.gen(function* () {
    const ci = s.run.customerInstanceId
    const runLimits = env.options.runBudget
    const instanceLimits = env.options.instanceBudget(ci)
    const instance = yield* Effect.mapError(env.usage.current(ci), infrastructure("reading instance usage"))
    const verdict = checkBeforeStep({ run: s.cp.usage, runLimits, instance, instanceLimits })
    if (verdict._tag === "Exceeded") {
      yield* end(
        env,
        s,
        { type: "fail", reason: "budget_exceeded", detail: describeExceeded(verdict.exceeded) },
        [RunEvents.budgetExceeded(s.context, "RUNNING", verdict.exceeded)],
        { budgetScope: verdict.exceeded.scope, budgetResource: verdict.exceeded.resource }
      )
      return "done"
    }
    // The results of finished calls are durable before the next model call can take long.
    yield* persist(env, s)
    const system = env.options.system?.(s.run.request)
    const modelRequest: ModelRequest = {
      ...(system === undefined ? {} : { system }),
      messages: s.cp.messages,
      tools: env.tools.describe() as ModelRequest["tools"],
      toolChoice: verdict.lastStep ? "none" : "auto",
      ...(verdict.maxOutputTokens === undefined ? {} : { maxOutputTokens: verdict.maxOutputTokens }),
      signal: s.controller.signal
    }
    const generated = yield* Effect.result(generate(env, s, modelRequest))
    yield* checkStop(s)
    if (Result.isFailure(generated)) {
      const error = generated.failure
      yield* end(env, s, { type: "fail", reason: "model_error", detail: error.message.slice(0, 2000) }, [])
      return "done"
    }
    const response = uniqueCallIds(generated.success)
    const costMicros = costOf(response.usage, env.options.pricing)
    env.usage.add(ci, { ...response.usage, costMicros })
    const next = recordModelStep(s.cp, response, env.options.pricing)
    const built = RunEvents.modelStep(s.context, "RUNNING", {
      step: next.usage.steps,
      model: response.model ?? env.model.name,
      finishReason: response.finishReason,
      usage: response.usage,
      toolCalls: response.toolCalls
    })
    const stepEvent: RunEventV1 = { ...built, payload: { ...built.payload, costMicros } }
    const exceeded = checkAfterStep(
      {
        run: next.usage,
        runLimits,
        instance:
          instance === undefined
            ? undefined
            : {
                steps: instance.steps + 1,
                inputTokens: instance.inputTokens + response.usage.inputTokens,
                outputTokens: instance.outputTokens + response.usage.outputTokens,
                costMicros: instance.costMicros + costMicros
              },
        instanceLimits
      },
      { toolCalls: response.toolCalls.length }
    )
    // The step's calls never run when the run stops here.
    s.cp = { ...next, toolCalls: [] }
    if (exceeded !== undefined) {
      yield* end(
        env,
        s,
        { type: "fail", reason: "budget_exceeded", detail: describeExceeded(exceeded) },
        [stepEvent, RunEvents.budgetExceeded(s.context, "RUNNING", exceeded)],
        { budgetScope: exceeded.scope, budgetResource: exceeded.resource }
      )
      return "done"
    }
    if (response.toolCalls.length === 0) {
      if (response.finishReason === "error") {
        yield* end(
          env,
          s,
          { type: "fail", reason: "model_error", detail: "the model stopped with an error" },
          [stepEvent]
        )
        return "done"
      }
      const text =
        response.text.length > maxOutputChars
          ? `${response.text.slice(0, maxOutputChars)}\n[output truncated: ${response.text.length} characters]`
          : response.text
      yield* end(env, s, { type: "complete" }, [stepEvent, RunEvents.output(s.context, "RUNNING", text)])
      return "done"
    }
    s.cp = next
    s.dirty = true
    s.pending.push(stepEvent)
    return "continue"
  })

const resultOf = (
  outcome: Exclude<InvokeOutcome, { _tag: "ApprovalRequired" }>,
  call: ToolCallProgress["call"]
): { readonly result: RunEventV1["payload"][string]; readonly isError: boolean } => {
  switch (outcome._tag) {
    case "Succeeded":
      return { result: jsonValue(outcome.output), isError: false }
    case "Failed":
      return { result: `The tool failed (${outcome.errorCode}): ${outcome.message}`, isError: true }
    case "Denied":
      return { result: `The call was denied by policy: ${outcome.message}`, isError: true }
    case "InvalidArguments":
      return {
        result: {
          error: "invalid arguments",
          ...(call.argsError === undefined ? {} : { arguments: call.argsError.message }),
          problems: outcome.problems.map((p) => ({ path: p.path, message: p.message }))
        },
        isError: true
      }
  }
}

/**
 * Runs one tool call through the tool runtime, the only way to a tool. The call is marked
 * `started` in a saved checkpoint before the runtime can run its handler, so a crash during the
 * call is never mistaken for a call that did not happen.
 */
export const toolCall = (
  env: Env,
  s: SessionState,
  progress: Extract<ToolCallProgress, { status: "pending" | "approved" }>
): Effect.Effect<Next, Stop> =>
  Effect.gen(function* () {
    const request = s.run.request
    const call = progress.call
    const approvalId = progress.status === "approved" ? progress.approvalId : undefined
    const attemptId = newId()
    const argsHash = safeHash(call.args)
    s.cp = setToolCall(s.cp, {
      status: "started",
      call,
      argsHash: progress.status === "approved" ? progress.argsHash : argsHash,
      invocationId: attemptId,
      startedAt: new Date().toISOString(),
      idempotent: env.options.isIdempotent(call.name),
      ...(approvalId === undefined ? {} : { approvalId })
    })
    const requested = RunEvents.toolRequested(s.context, "RUNNING", {
      toolCallId: call.id,
      toolName: call.name,
      argsHash
    })
    s.pending.push({
      ...requested,
      payload: {
        ...requested.payload,
        attemptId,
        ...(approvalId === undefined ? {} : { approvalId }),
        ...(progress.retryOf === undefined ? {} : { retryOf: progress.retryOf })
      }
    })
    s.dirty = true
    yield* persist(env, s)
    // A cancel that arrived while the "started" mark was saved stops here, before the tool runs.
    yield* checkStop(s)
    const outcome = yield* env.tools
      .invoke({
        customerInstanceId: s.run.customerInstanceId,
        environment: request.environment,
        runId: s.run.runId,
        actor: request.actor,
        agentId: request.policyContext?.agentId,
        channel: request.channelContext?.channel,
        toolProfile: request.toolProfile,
        toolName: call.name,
        args: call.argsError === undefined ? call.args : null,
        approvalId,
        signal: s.controller.signal,
        priorToolCalls: toolCallsSoFar(s)
      })
      .pipe(Effect.mapError(infrastructure(`invoking ${call.name}`)))
    yield* checkStop(s)
    if (outcome._tag === "ApprovalRequired") {
      s.cp = setToolCall(s.cp, {
        status: "awaiting_approval",
        call,
        argsHash: outcome.approval.argsHash,
        approvalId: outcome.approval.approvalId,
        reapproval: false,
        ...(progress.retryOf === undefined ? {} : { retryOf: progress.retryOf })
      })
      s.pending.push(
        RunEvents.approvalRequested(s.context, "RUNNING", {
          approvalId: outcome.approval.approvalId,
          toolCallId: call.id,
          toolName: call.name,
          argsHash: outcome.approval.argsHash,
          expiresAt: outcome.approval.expiresAt,
          reapproval: false
        })
      )
      s.dirty = true
      return "continue" as Next
    }
    const { isError, result } = resultOf(outcome, call)
    const invocationId = outcome.invocation?.invocationId
    const recorded = outcome.invocation?.outcome ?? (outcome._tag === "Denied" ? "denied" : "failed")
    s.cp = setToolCall(s.cp, {
      status: "finished",
      call,
      outcome: recorded,
      result,
      isError,
      ...(invocationId === undefined ? {} : { invocationId })
    })
    s.pending.push(
      RunEvents.toolCompleted(s.context, "RUNNING", {
        toolCallId: call.id,
        toolName: call.name,
        outcome: recorded,
        ...(invocationId === undefined ? {} : { invocationId })
      })
    )
    s.dirty = true
    return "continue" as Next
  })

/** Applies a decided approval to the waiting call (or ends the run, when set to on denial). */
export const applyApproval = (
  env: Env,
  s: SessionState,
  waiting: ToolCallAwaitingApproval,
  outcome: ApprovalOutcome,
  event: RunEventV1
): Effect.Effect<Next, Stop> =>
  Effect.gen(function* () {
    yield* Effect.mapError(
      ensureEvent(env, s.run.customerInstanceId, event),
      infrastructure("recording the approval's resolution")
    )
    if (outcome !== "approved" && env.options.approvalDenied === "fail") {
      yield* end(
        env,
        s,
        {
          type: "fail",
          reason: "approval_denied",
          detail: `approval ${waiting.approvalId} for ${waiting.call.name} was ${outcome}`
        },
        []
      )
      return "done"
    }
    s.cp = resolveApproval(s.cp, waiting.approvalId, outcome)
    s.dirty = true
    return "continue"
  })

/**
 * A call waits for a human. While the approval is pending the run goes WAITING_APPROVAL with
 * its checkpoint saved and the lease released: no worker and no lane slot wait with it. An
 * approval decided meanwhile (also by another process) is applied at once.
 */
export const awaitApproval = (
  env: Env,
  s: SessionState,
  waiting: ToolCallAwaitingApproval,
  knownPending: boolean
): Effect.Effect<Next, Stop> =>
  Effect.gen(function* () {
    const ci = s.run.customerInstanceId
    if (!knownPending) {
      const status = yield* Effect.mapError(
        approvalStatus(env, ci, waiting.approvalId),
        infrastructure("reading an approval")
      )
      if (status._tag === "Decided") {
        return yield* applyApproval(env, s, waiting, status.outcome, approvalResolvedEvent(s, status))
      }
    }
    const outbox = yield* save(env, s)
    yield* change(
      env,
      s,
      { type: "await_approval", approvalId: waiting.approvalId, toolName: waiting.call.name },
      { before: outbox }
    )
    yield* Effect.ignore(env.runs.releaseLease(ci, s.run.runId, s.fence))
    // Decided while the run was moving to WAITING_APPROVAL: the resolver's session may have
    // found the lease still held, so look again and resume here if so.
    const again = yield* Effect.result(approvalStatus(env, ci, waiting.approvalId))
    if (Result.isSuccess(again) && again.success._tag === "Decided") {
      yield* env.schedule({ customerInstanceId: ci, runId: s.run.runId, reason: "trigger" })
    }
    return "done"
  })

export { Stop }
