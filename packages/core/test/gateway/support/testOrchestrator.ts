/**
 * A small stand-in for the run orchestrator service, for gateway tests only: it implements the
 * `Orchestrator` port over a real RunStore, tool runtime and model, with a plain agent loop
 * (model step, tool calls one at a time, approval waits, resume). It is not the orchestrator
 * (no lanes, budgets, checkpoints or crash recovery); the gateway host wires the real service.
 */
import { Effect, Fiber, Result } from "effect"
import type { AuditLogShape } from "../../../src/audit/AuditLog.js"
import type { Actor } from "../../../src/contracts/Actor.js"
import type { RunEventType, RunEventV1 } from "../../../src/contracts/RunEvent.js"
import type { RunRequestV2 } from "../../../src/contracts/RunRequest.js"
import type { RunState } from "../../../src/contracts/RunState.js"
import { newId, newTraceId } from "../../../src/ids.js"
import type { ModelMessage } from "../../../src/model/ModelMessage.js"
import type { ModelPortShape } from "../../../src/model/ModelPort.js"
import {
  OrchestratorError,
  type OrchestratorShape,
  type RunView
} from "../../../src/orchestrator/Orchestrator.js"
import type { RunRecord } from "../../../src/storage/RunRecord.js"
import type { RunStoreShape } from "../../../src/storage/RunStore.js"
import type { ToolRuntimeShape } from "../../../src/tools/ToolRuntime.js"

/** What the stand-in runs on. */
export interface TestOrchestratorDeps {
  readonly runs: RunStoreShape
  readonly tools: ToolRuntimeShape
  readonly model: ModelPortShape
  readonly audit: AuditLogShape
  /** Make OrchestratorError instances (the caller's copy of the class, src or dist). */
  readonly makeError?: (fields: ConstructorParameters<typeof OrchestratorError>[0]) => OrchestratorError
}

interface RunMemory {
  messages: Array<ModelMessage>
  events: Array<RunEventV1>
  traceId: string
  output?: string
  endReason?: { code: string; message: string; actor?: Actor }
  pendingApprovalId?: string
  pendingCall?: { id: string; name: string; args: unknown } | undefined
  usage: { steps: number; toolCalls: number; inputTokens: number; outputTokens: number }
}

/** Makes the stand-in. */
export const makeTestOrchestrator = (
  deps: TestOrchestratorDeps
): OrchestratorShape & { readonly fibers: number } => {
  const memory = new Map<string, RunMemory>()
  const fibers = new Set<Fiber.Fiber<unknown, unknown>>()
  const fail = deps.makeError ?? ((fields) => new OrchestratorError(fields))
  const key = (ci: string, runId: string) => `${ci}/${runId}`
  const mem = (ci: string, runId: string): RunMemory => {
    let m = memory.get(key(ci, runId))
    if (m === undefined) {
      m = {
        messages: [],
        events: [],
        traceId: newTraceId(),
        usage: { steps: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0 }
      }
      memory.set(key(ci, runId), m)
    }
    return m
  }
  const storeError = (error: { readonly message: string }) =>
    fail({ reason: "store-unavailable", detail: error.message })

  const viewOf = (run: RunRecord): RunView => {
    const m = mem(run.customerInstanceId, run.runId)
    return {
      run,
      usage: { ...m.usage },
      ...(m.output === undefined ? {} : { output: m.output }),
      ...(m.endReason === undefined ? {} : { endReason: m.endReason }),
      ...(m.pendingApprovalId === undefined || run.state !== "WAITING_APPROVAL"
        ? {}
        : { pendingApprovalId: m.pendingApprovalId })
    }
  }

  const emit = (run: RunRecord, type: RunEventType, phase: RunState, payload: Record<string, unknown>) =>
    Effect.gen(function* () {
      const m = mem(run.customerInstanceId, run.runId)
      const event: RunEventV1 = {
        version: 1,
        eventId: newId(),
        runId: run.runId,
        customerInstanceId: run.customerInstanceId,
        environment: run.request.environment,
        ts: new Date().toISOString(),
        type,
        phase,
        payload: payload as RunEventV1["payload"],
        traceId: m.traceId
      }
      m.events.push(event)
      yield* Effect.ignore(deps.audit.append(run.customerInstanceId, { kind: "run_event", payload: event }))
    })

  const move = (run: RunRecord, to: RunState, payload: Record<string, unknown> = {}) =>
    Effect.gen(function* () {
      const next = yield* Effect.mapError(
        deps.runs.transition(run.customerInstanceId, run.runId, { to, expectedVersion: run.version }),
        storeError
      )
      yield* emit(next, "run.state_changed", to, { from: run.state, to, ...payload })
      return next
    })

  const current = (ci: string, runId: string) =>
    Effect.mapError(deps.runs.get(ci, runId), (error) =>
      error._tag === "@bga/core/NotFoundError"
        ? fail({ reason: "not-found", detail: "no such run in this customer instance", runId })
        : storeError(error)
    )

  // One pass of the agent loop, from RUNNING until the run ends or waits for approval.
  const loop = (start: RunRecord): Effect.Effect<void, OrchestratorError> =>
    Effect.gen(function* () {
      let run = start
      const m = mem(run.customerInstanceId, run.runId)
      for (let step = 0; step < 20; step++) {
        const latest = yield* current(run.customerInstanceId, run.runId)
        if (latest.state === "CANCELLED") return
        run = latest
        const response = yield* Effect.result(
          deps.model.generate({ messages: m.messages, tools: deps.tools.describe() as never })
        )
        if (Result.isFailure(response)) {
          m.endReason = { code: "model_error", message: response.failure.message }
          yield* move(run, "FAILED", { reason: "model_error" })
          return
        }
        const reply = response.success
        m.usage.steps++
        m.usage.inputTokens += reply.usage.inputTokens
        m.usage.outputTokens += reply.usage.outputTokens
        m.messages.push({ role: "assistant", text: reply.text, toolCalls: reply.toolCalls })
        yield* emit(run, "run.model_step", "RUNNING", {
          step: m.usage.steps,
          toolCalls: reply.toolCalls.length
        })
        if (reply.toolCalls.length === 0) {
          m.output = reply.text
          yield* emit(run, "run.output", "RUNNING", { text: reply.text })
          yield* move(run, "COMPLETED")
          return
        }
        for (const call of reply.toolCalls) {
          const waited = yield* invokeCall(run, call, undefined)
          if (waited !== undefined) {
            yield* move(waited.run, "WAITING_APPROVAL", { approvalId: waited.approvalId })
            return
          }
        }
      }
      m.endReason = { code: "max_steps", message: "the run took too many steps" }
      yield* move(run, "FAILED", { reason: "max_steps" })
    })

  const invokeCall = (
    run: RunRecord,
    call: { id: string; name: string; args: unknown },
    approvalId: string | undefined
  ) =>
    Effect.gen(function* () {
      const m = mem(run.customerInstanceId, run.runId)
      m.usage.toolCalls++
      yield* emit(run, "run.tool_requested", "RUNNING", { toolCallId: call.id, toolName: call.name })
      const outcome = yield* Effect.mapError(
        deps.tools.invoke({
          customerInstanceId: run.customerInstanceId,
          environment: run.request.environment,
          runId: run.runId,
          actor: run.request.actor,
          toolName: call.name,
          args: call.args,
          ...(approvalId === undefined ? {} : { approvalId })
        }),
        (error) => fail({ reason: "store-unavailable", detail: error.message, runId: run.runId })
      )
      if (outcome._tag === "ApprovalRequired") {
        m.pendingApprovalId = outcome.approval.approvalId
        m.pendingCall = call
        yield* emit(run, "run.approval_requested", "RUNNING", {
          approvalId: outcome.approval.approvalId,
          toolName: call.name
        })
        return { run, approvalId: outcome.approval.approvalId }
      }
      const result =
        outcome._tag === "Succeeded"
          ? { result: outcome.output as never, isError: false }
          : {
              result: {
                error: outcome._tag,
                message: "message" in outcome ? outcome.message : "invalid arguments"
              },
              isError: true
            }
      m.messages.push({ role: "tool", toolCallId: call.id, toolName: call.name, ...result })
      yield* emit(run, "run.tool_completed", "RUNNING", {
        toolCallId: call.id,
        toolName: call.name,
        outcome: outcome._tag,
        ...(outcome.invocation === undefined ? {} : { invocationId: outcome.invocation.invocationId })
      })
      return undefined
    })

  const background = (effect: Effect.Effect<void, OrchestratorError>) => {
    const fiber = Effect.runFork(Effect.ignore(effect))
    fibers.add(fiber)
    fiber.addObserver(() => fibers.delete(fiber))
  }

  const start = (run: RunRecord) =>
    background(
      Effect.gen(function* () {
        const running = yield* move(run, "RUNNING")
        yield* loop(running)
      })
    )

  return {
    get fibers() {
      return fibers.size
    },
    create: (request: RunRequestV2) =>
      Effect.gen(function* () {
        const created = yield* Effect.mapError(
          deps.runs.create(request.customerInstanceId, request),
          (error) =>
            error._tag === "@bga/core/InvalidInputError"
              ? error
              : error._tag === "@bga/core/ConflictError"
                ? fail({ reason: "idempotency-conflict", detail: error.message })
                : storeError(error)
        )
        if (created.created) {
          const m = mem(request.customerInstanceId, created.run.runId)
          m.messages.push({ role: "user", text: request.input.text })
          yield* emit(created.run, "run.created", "QUEUED", { actorId: request.actor.id })
          start(created.run)
        }
        return { run: viewOf(created.run), created: created.created }
      }),
    get: (ci, runId) => Effect.map(current(ci, runId), viewOf),
    list: (ci, query = {}) =>
      Effect.map(
        Effect.mapError(
          deps.runs.list(ci, {
            ...(query.state === undefined ? {} : { states: [query.state] }),
            ...(query.limit === undefined ? {} : { limit: query.limit }),
            ...(query.cursor === undefined ? {} : { cursor: query.cursor })
          }),
          (error) => (error._tag === "@bga/core/InvalidInputError" ? error : storeError(error))
        ),
        (page) => ({
          items: page.items
            .filter((r) => query.actorId === undefined || r.request.actor.id === query.actorId)
            .map(viewOf),
          ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor })
        })
      ),
    cancel: (ci, runId, by) =>
      Effect.gen(function* () {
        const run = yield* current(ci, runId)
        if (run.state === "COMPLETED" || run.state === "FAILED" || run.state === "CANCELLED") {
          return yield* Effect.fail(
            fail({ reason: "already-ended", detail: `the run is ${run.state}`, runId })
          )
        }
        const m = mem(ci, runId)
        m.endReason = { code: "cancelled", message: by.reason ?? "cancelled", actor: by.actor }
        return viewOf(yield* move(run, "CANCELLED", { actorId: by.actor.id }))
      }),
    events: (ci, runId, options = {}) =>
      Effect.gen(function* () {
        yield* current(ci, runId)
        const all = mem(ci, runId).events
        const offset = options.cursor === undefined ? 0 : Number.parseInt(options.cursor, 10) || 0
        const limit = options.limit ?? 100
        const items = all.slice(offset, offset + limit)
        return offset + limit < all.length ? { items, nextCursor: String(offset + limit) } : { items }
      }),
    resolveApproval: (ci, input) =>
      Effect.gen(function* () {
        const record = yield* deps.tools.resolveApproval(ci, input)
        const run = yield* Effect.orDie(deps.runs.get(ci, record.runId))
        const m = mem(ci, record.runId)
        yield* emit(run, "run.approval_resolved", run.state, {
          approvalId: record.approvalId,
          outcome: input.outcome
        })
        if (run.state === "WAITING_APPROVAL" && m.pendingCall !== undefined) {
          const call = m.pendingCall
          m.pendingCall = undefined
          background(
            Effect.gen(function* () {
              const running = yield* move(run, "RUNNING", { approvalId: record.approvalId })
              if (input.outcome === "approved") {
                yield* invokeCall(running, call, record.approvalId)
              } else {
                m.messages.push({
                  role: "tool",
                  toolCallId: call.id,
                  toolName: call.name,
                  result: { error: "denied", message: "the approver denied this call" },
                  isError: true
                })
              }
              yield* loop(running)
            })
          )
        }
        return record
      }),
    awaitIdle: Effect.promise(async () => {
      for (let i = 0; i < 1000 && fibers.size > 0; i++) {
        await Promise.all([...fibers].map((f) => Effect.runPromise(Fiber.await(f))))
      }
    })
  }
}
