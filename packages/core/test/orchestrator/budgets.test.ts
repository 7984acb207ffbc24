import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeStack, request, timeline, transitions } from "./harness.js"

/** A model that always wants one more lookup. */
const neverDone = () => ({
  toolCalls: [{ name: "lookup", args: { email: "a@example.com" } }],
  usage: { inputTokens: 100, outputTokens: 10 }
})

describe("orchestrator: budgets", () => {
  it.effect(
    "max steps: the last allowed step asks for a final answer; a model that still calls tools is stopped",
    () =>
      Effect.gen(function* () {
        const stack = yield* makeStack({ script: neverDone, orchestrator: { maxSteps: 3 } })
        const { run } = yield* stack.orchestrator.create(request())
        yield* stack.orchestrator.awaitIdle
        const view = yield* stack.orchestrator.get("acme", run.run.runId)
        expect(view.run.state).toBe("FAILED")
        expect(view.endReason).toEqual({ code: "max_steps", message: "run used 3 of its 3 model steps" })
        expect(stack.model.requests.map((r) => r.toolChoice)).toEqual(["auto", "auto", "none"])
        // The third step's tool call never ran.
        expect(stack.tools.calls).toHaveLength(2)
        expect(view.usage).toEqual({ steps: 3, toolCalls: 2, inputTokens: 300, outputTokens: 30 })
        const events = yield* timeline(stack, "acme", run.run.runId)
        expect(events.find((e) => e.type === "run.budget_exceeded")?.payload).toEqual({
          scope: "run",
          resource: "steps",
          limit: 3,
          used: 3
        })
      })
  )

  it.effect("a run token budget stops the run before the step's tools run, naming the budget", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({
        script: neverDone,
        orchestrator: { budgets: { run: { maxTotalTokens: 200 } } }
      })
      const { run } = yield* stack.orchestrator.create(request())
      yield* stack.orchestrator.awaitIdle
      const view = yield* stack.orchestrator.get("acme", run.run.runId)
      expect(view.run.state).toBe("FAILED")
      expect(view.endReason).toEqual({ code: "budget_exceeded", message: "run used 220 of its 200 tokens" })
      // Step 1 (110 tokens) ran its tool; step 2 took the run over its budget, so its tool did not run.
      expect(stack.tools.calls).toHaveLength(1)
      // Each step was asked to stay within what was left.
      expect(stack.model.requests.map((r) => r.maxOutputTokens)).toEqual([200, 90])
    })
  )

  it.effect("a cost budget counts micro-units from the model's pricing, rounded up per step", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({
        script: neverDone,
        orchestrator: {
          pricing: { inputMicrosPerMillionTokens: 3_000_000, outputMicrosPerMillionTokens: 15_000_000 },
          budgets: { run: { maxCostMicros: 1000 } }
        }
      })
      const { run } = yield* stack.orchestrator.create(request())
      yield* stack.orchestrator.awaitIdle
      const view = yield* stack.orchestrator.get("acme", run.run.runId)
      // 100 in + 10 out = 300 + 150 = 450 micro-units per step: the third step passes 1000.
      expect(view.endReason?.message).toBe("run used 1350 of its 1000 cost (micro-units)")
      const steps = (yield* timeline(stack, "acme", run.run.runId)).filter((e) => e.type === "run.model_step")
      expect(steps.map((e) => e.payload.costMicros)).toEqual([450, 450, 450])
    })
  )

  it.effect(
    "a customer instance budget covers all its runs: once spent, runs stop and new ones are refused",
    () =>
      Effect.gen(function* () {
        const stack = yield* makeStack({
          script: () => ({ text: "ok", usage: { inputTokens: 400, outputTokens: 100 } }),
          orchestrator: { budgets: { instances: { acme: { period: "day", maxTotalTokens: 1000 } } } }
        })
        for (let i = 0; i < 2; i++) {
          yield* stack.orchestrator.create(request())
          yield* stack.orchestrator.awaitIdle
        }
        const refused = yield* Effect.flip(stack.orchestrator.create(request()))
        expect(refused._tag).toBe("@bga/core/OrchestratorError")
        expect((refused as { reason: string }).reason).toBe("budget-exhausted")
        // Another instance is not affected.
        const other = yield* stack.orchestrator.create(request("globex"))
        yield* stack.orchestrator.awaitIdle
        expect((yield* stack.orchestrator.get("globex", other.run.run.runId)).run.state).toBe("COMPLETED")
      })
  )

  it.effect("a run that reaches an instance budget mid-way ends FAILED with the instance named", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({
        script: neverDone,
        orchestrator: { budgets: { instance: { period: "month", maxInputTokens: 250 } } }
      })
      const { run } = yield* stack.orchestrator.create(request())
      yield* stack.orchestrator.awaitIdle
      const view = yield* stack.orchestrator.get("acme", run.run.runId)
      expect(view.endReason).toEqual({
        code: "budget_exceeded",
        message: "customer instance used 300 of its 250 input tokens"
      })
      expect(transitions(yield* timeline(stack, "acme", run.run.runId))).toEqual([
        "QUEUED->RUNNING",
        "RUNNING->FAILED"
      ])
    })
  )

  it.effect("a model error fails the run with the model's message; retryable errors are retried first", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({
        script: [{ error: "rate-limited" }, { error: "provider" }],
        orchestrator: { modelRetries: 1, modelRetryDelayMs: 0 }
      })
      const { run } = yield* stack.orchestrator.create(request())
      yield* stack.orchestrator.awaitIdle
      const view = yield* stack.orchestrator.get("acme", run.run.runId)
      expect(stack.model.requests).toHaveLength(2)
      expect(view.endReason?.code).toBe("model_error")
      expect(view.endReason?.message).toMatch(/step failed \(provider\)/)
    })
  )
})
