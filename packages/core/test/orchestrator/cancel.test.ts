import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { newId } from "../../src/ids.js"
import { approver, makeStack, operator, request, timeline, transitions, waitFor } from "./harness.js"

const by = { actor: operator, reason: "customer withdrew the request" }

/** Waits until `check` holds (bounded). */
const until = (check: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 2000 && !check(); i++) yield* Effect.sleep(5)
    expect(check()).toBe(true)
  })

describe("orchestrator: cancellation", () => {
  it.live("mid-tool: the handler's AbortSignal fires, and who cancelled and why is recorded", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({
        script: [{ toolCalls: [{ name: "slow", args: {} }] }, { text: "unreachable" }]
      })
      const { run } = yield* stack.orchestrator.create(request())
      const runId = run.run.runId
      yield* until(() => stack.tools.calls.length === 1)
      const cancelled = yield* stack.orchestrator.cancel("acme", runId, by)
      expect(cancelled.run.state).toBe("CANCELLED")
      expect(cancelled.endReason).toEqual({
        code: "cancelled",
        message: "customer withdrew the request",
        actor: { kind: "user", id: operator.id, roles: [] }
      })
      yield* stack.orchestrator.awaitIdle
      expect(stack.tools.aborts).toEqual(["slow"])
      expect(stack.model.requests).toHaveLength(1)
      const events = yield* timeline(stack, "acme", runId)
      expect(transitions(events)).toEqual(["QUEUED->RUNNING", "RUNNING->CANCELLED"])
      expect(events.at(-1)?.payload).toMatchObject({
        event: "cancel",
        cancelledBy: { kind: "user", id: operator.id },
        reason: "customer withdrew the request"
      })
      // The tool runtime recorded the call as cancelled.
      const invocations = yield* stack.audit.list("acme", { runId, kinds: ["tool_invocation"] })
      expect(invocations.items.map((r) => r.eventType)).toEqual(["tool.cancelled"])
      expect((yield* stack.audit.verify("acme")).ok).toBe(true)
    })
  )

  it.live("mid-model-call: the model's AbortSignal fires and no step is recorded", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({ script: [{ text: "too late", delayMs: 20_000 }] })
      const { run } = yield* stack.orchestrator.create(request())
      yield* until(() => stack.model.requests.length === 1)
      yield* stack.orchestrator.cancel("acme", run.run.runId, by)
      yield* stack.orchestrator.awaitIdle
      expect(stack.model.requests[0]?.signal?.aborted).toBe(true)
      const events = yield* timeline(stack, "acme", run.run.runId)
      expect(events.some((e) => e.type === "run.model_step")).toBe(false)
      expect(transitions(events)).toEqual(["QUEUED->RUNNING", "RUNNING->CANCELLED"])
    })
  )

  it.live("while queued: the run leaves the lane and never reaches the model", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({
        script: () => ({ text: "ok", delayMs: 20_000 }),
        orchestrator: {
          lanes: {
            globalConcurrency: 1,
            instanceConcurrency: 1,
            globalQueueLimit: 10,
            instanceQueueLimit: 10
          }
        }
      })
      const first = yield* stack.orchestrator.create(request())
      const second = yield* stack.orchestrator.create(request())
      yield* until(() => stack.model.requests.length === 1)
      const cancelled = yield* stack.orchestrator.cancel("acme", second.run.run.runId, by)
      expect(cancelled.run.state).toBe("CANCELLED")
      expect(stack.model.requests).toHaveLength(1)
      expect((yield* stack.orchestrator.get("acme", first.run.run.runId)).run.state).toBe("RUNNING")
      yield* stack.orchestrator.cancel("acme", first.run.run.runId, by)
      yield* stack.orchestrator.awaitIdle
      expect(stack.model.requests).toHaveLength(1)
      expect(transitions(yield* timeline(stack, "acme", second.run.run.runId))).toEqual(["QUEUED->CANCELLED"])
    })
  )

  it.live("while waiting for approval: the run ends, and a later approval runs nothing", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({
        script: [{ toolCalls: [{ name: "refund", args: { order: "o-1", cents: 5 } }] }, { text: "done" }]
      })
      const { run } = yield* stack.orchestrator.create(request())
      const waiting = yield* waitFor(stack, "acme", run.run.runId, ["WAITING_APPROVAL"])
      yield* stack.orchestrator.cancel("acme", run.run.runId, by)
      yield* stack.orchestrator.resolveApproval("acme", {
        approvalId: waiting.pendingApprovalId!,
        actor: approver,
        environment: "production",
        outcome: "approved"
      })
      yield* stack.orchestrator.awaitIdle
      expect((yield* stack.orchestrator.get("acme", run.run.runId)).run.state).toBe("CANCELLED")
      expect(stack.tools.calls).toEqual([])
      expect(transitions(yield* timeline(stack, "acme", run.run.runId))).toEqual([
        "QUEUED->RUNNING",
        "RUNNING->WAITING_APPROVAL",
        "WAITING_APPROVAL->CANCELLED"
      ])
    })
  )

  it.live("cancelling again succeeds without a second event; an ended run cannot be cancelled", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({ script: [{ text: "done" }, { text: "x", delayMs: 20_000 }] })
      const done = yield* stack.orchestrator.create(request())
      yield* stack.orchestrator.awaitIdle
      const error = yield* Effect.flip(stack.orchestrator.cancel("acme", done.run.run.runId, by))
      expect(error._tag).toBe("@bga/core/OrchestratorError")
      expect((error as { reason: string }).reason).toBe("already-ended")

      const live = yield* stack.orchestrator.create(request())
      yield* until(() => stack.model.requests.length === 2)
      yield* stack.orchestrator.cancel("acme", live.run.run.runId, by)
      const again = yield* stack.orchestrator.cancel("acme", live.run.run.runId, by)
      expect(again.run.state).toBe("CANCELLED")
      yield* stack.orchestrator.awaitIdle
      const events = yield* timeline(stack, "acme", live.run.run.runId)
      expect(transitions(events).filter((t) => t.endsWith("CANCELLED"))).toHaveLength(1)
    })
  )

  it.live("an unknown run, or one of another customer instance, is not found", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({ script: [{ text: "x", delayMs: 20_000 }] })
      const { run } = yield* stack.orchestrator.create(request("acme"))
      for (const [ci, runId] of [
        ["acme", newId()],
        ["globex", run.run.runId]
      ] as const) {
        const error = yield* Effect.flip(stack.orchestrator.cancel(ci, runId, by))
        expect((error as { reason: string }).reason).toBe("not-found")
      }
      yield* stack.orchestrator.cancel("acme", run.run.runId, by)
      yield* stack.orchestrator.awaitIdle
    })
  )
})
