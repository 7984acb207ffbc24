import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { defineTool } from "../../src/tools/ToolDefinition.js"
import { makeStack, request, timeline, transitions } from "./harness.js"

describe("orchestrator: a run from create to end", () => {
  it.effect("runs the agent loop: model step, tool call through the runtime, final answer", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({
        script: [
          { toolCalls: [{ name: "lookup", args: { email: "a@example.com" } }] },
          { text: "The customer is on the gold plan." }
        ]
      })
      const { created, run } = yield* stack.orchestrator.create(request())
      expect(created).toBe(true)
      expect(run.run.state).toBe("QUEUED")
      yield* stack.orchestrator.awaitIdle
      const view = yield* stack.orchestrator.get("acme", run.run.runId)
      expect(view.run.state).toBe("COMPLETED")
      expect(view.output).toBe("The customer is on the gold plan.")
      expect(view.usage.steps).toBe(2)
      expect(view.usage.toolCalls).toBe(1)
      expect(stack.tools.calls).toEqual([{ tool: "lookup", args: { email: "a@example.com" } }])
      // The tool result reached the model as a tool message.
      expect(stack.model.requests[1]?.messages.at(-1)).toMatchObject({
        role: "tool",
        toolName: "lookup",
        result: { email: "a@example.com", plan: "gold" },
        isError: false
      })
      const events = yield* timeline(stack, "acme", run.run.runId)
      expect(events.map((e) => e.type)).toEqual([
        "run.created",
        "run.state_changed",
        "run.model_step",
        "run.tool_requested",
        "run.tool_completed",
        "run.model_step",
        "run.output",
        "run.state_changed"
      ])
      expect(transitions(events)).toEqual(["QUEUED->RUNNING", "RUNNING->COMPLETED"])
      expect(new Set(events.map((e) => e.traceId)).size).toBe(1)
      const report = yield* stack.audit.verify("acme")
      expect(report.ok).toBe(true)
    })
  )

  it.effect(
    "denied, invalid and unknown tool calls go back to the model as tool errors; the run goes on",
    () =>
      Effect.gen(function* () {
        const stack = yield* makeStack({
          script: [
            {
              toolCalls: [
                { name: "delete_account", args: { email: "a@example.com" } },
                { name: "lookup", args: { mail: 42 } },
                { name: "lookup", argsText: "{not json" },
                { name: "teleport", args: {} }
              ]
            },
            { text: "I could not do any of that." }
          ]
        })
        const { run } = yield* stack.orchestrator.create(request())
        yield* stack.orchestrator.awaitIdle
        const view = yield* stack.orchestrator.get("acme", run.run.runId)
        expect(view.run.state).toBe("COMPLETED")
        expect(stack.tools.calls).toEqual([])
        const results = stack.model.requests[1]?.messages.filter((m) => m.role === "tool") ?? []
        expect(results.map((m) => m.role === "tool" && m.isError)).toEqual([true, true, true, true])
        expect(JSON.stringify(results[0])).toMatch(/denied by policy/)
        expect(JSON.stringify(results[1])).toMatch(/invalid arguments/)
        expect(JSON.stringify(results[2])).toMatch(/invalid arguments/)
        expect(JSON.stringify(results[3])).toMatch(/no tool named/)
        // Each call passed exactly one policy decision, on record.
        const decisions = yield* stack.audit.list("acme", {
          runId: run.run.runId,
          kinds: ["policy_decision"]
        })
        expect(decisions.items).toHaveLength(4)
        const completed = (yield* timeline(stack, "acme", run.run.runId)).filter(
          (e) => e.type === "run.tool_completed"
        )
        expect(completed.map((e) => e.payload.outcome)).toEqual([
          "denied",
          "invalid_arguments",
          "invalid_arguments",
          "denied"
        ])
      })
  )

  it.effect("a failing tool is a tool error the model sees, not a failed run", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({
        script: [{ toolCalls: [{ name: "lookup", args: { email: "a@example.com" } }] }, { text: "sorry" }],
        tools: () => [
          defineTool({
            name: "lookup",
            description: "Always fails",
            parameters: Schema.Struct({ email: Schema.String }),
            handler: () => {
              throw new RangeError("CRM is down")
            }
          })
        ]
      })
      const { run } = yield* stack.orchestrator.create(request())
      yield* stack.orchestrator.awaitIdle
      expect((yield* stack.orchestrator.get("acme", run.run.runId)).run.state).toBe("COMPLETED")
      expect(stack.model.requests[1]?.messages.at(-1)).toMatchObject({
        role: "tool",
        isError: true,
        result: "The tool failed (RangeError): CRM is down"
      })
    })
  )

  it.effect("tool calls that share an id are told apart, so every one of them ends", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({
        script: [
          {
            toolCalls: [
              { id: "same", name: "lookup", args: { email: "a@example.com" } },
              { id: "same", name: "lookup", args: { email: "b@example.com" } }
            ]
          },
          { text: "two lookups" }
        ]
      })
      const { run } = yield* stack.orchestrator.create(request())
      yield* stack.orchestrator.awaitIdle
      expect((yield* stack.orchestrator.get("acme", run.run.runId)).usage.toolCalls).toBe(2)
      expect(stack.tools.calls).toHaveLength(2)
    })
  )

  it.effect(
    "a run whose state grows past what storage keeps fails with checkpoint_invalid instead of looping",
    () =>
      Effect.gen(function* () {
        const stack = yield* makeStack({
          script: [
            {
              text: "x".repeat(5 * 1024 * 1024),
              toolCalls: [{ name: "lookup", args: { email: "a@example.com" } }]
            }
          ]
        })
        const { run } = yield* stack.orchestrator.create(request())
        yield* stack.orchestrator.awaitIdle
        const view = yield* stack.orchestrator.get("acme", run.run.runId)
        expect(view.run.state).toBe("FAILED")
        expect(view.endReason?.code).toBe("checkpoint_invalid")
        expect(stack.tools.calls).toEqual([])
      })
  )
})

describe("orchestrator: hostile tool-call ids from the model", () => {
  it.effect("repeated and colliding ids still run each call exactly once, and the run ends", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({
        script: [
          {
            // A suffixed repeat of "a" must not land on the model's own "a#2".
            toolCalls: [
              { id: "a#2", name: "charge", args: { cents: 1 } },
              { id: "a", name: "charge", args: { cents: 2 } },
              { id: "a", name: "charge", args: { cents: 3 } }
            ]
          },
          { text: "done" }
        ]
      })
      const { run } = yield* stack.orchestrator.create(request())
      yield* stack.orchestrator.awaitIdle
      const view = yield* stack.orchestrator.get("acme", run.run.runId)
      expect(view.run.state).toBe("COMPLETED")
      expect(stack.tools.calls.map((c) => c.args)).toEqual([{ cents: 1 }, { cents: 2 }, { cents: 3 }])
    })
  )
})
