import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { approver, makeStack, request, timeline, transitions } from "./harness.js"

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
      void approver
    })
  )
})
