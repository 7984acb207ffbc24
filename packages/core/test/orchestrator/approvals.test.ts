import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect } from "effect"
import type { ModelRequest } from "../../src/model/ModelPort.js"
import { approver, makeStack, operator, request, timeline, transitions, waitFor } from "./harness.js"

/** Asks for a refund, then answers with what the tool said. */
const refundScript = [
  { toolCalls: [{ name: "refund", args: { order: "o-42", cents: 1200 } }] },
  (req: ModelRequest) => {
    const last = req.messages.at(-1)
    return { text: last?.role === "tool" ? `done: ${JSON.stringify(last.result)}` : "?" }
  }
]

/** A clock `offset.ms` ahead of the real one, so deadlines can pass without waiting. */
const shiftedClock = (offset: { ms: number }): Clock.Clock => {
  const now = () => Date.now() + offset.ms
  return {
    currentTimeMillisUnsafe: now,
    currentTimeMillis: Effect.sync(now),
    currentTimeNanosUnsafe: () => BigInt(now()) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(now()) * 1_000_000n),
    monotonicTimeNanosUnsafe: () => process.hrtime.bigint(),
    monotonicTimeNanos: Effect.sync(() => process.hrtime.bigint()),
    sleep: (duration) =>
      Effect.callback<void>((resume) => {
        const timer = setTimeout(() => resume(Effect.void), Duration.toMillis(duration))
        return Effect.sync(() => clearTimeout(timer))
      })
  }
}

const resolve = (outcome: "approved" | "denied", approvalId: string, actor = approver) => ({
  approvalId,
  actor,
  environment: "production",
  outcome,
  reason: outcome === "approved" ? "checked the order" : "not eligible"
})

describe("orchestrator: approval waits", () => {
  it.effect("waits WAITING_APPROVAL with the lane and lease released, then runs the call once approved", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({ script: refundScript })
      const { run } = yield* stack.orchestrator.create(request())
      yield* stack.orchestrator.awaitIdle
      const waiting = yield* stack.orchestrator.get("acme", run.run.runId)
      expect(waiting.run.state).toBe("WAITING_APPROVAL")
      expect(waiting.run.lease).toBeUndefined()
      expect(stack.orchestrator.stats()).toEqual({ sessions: 0, running: 0, queued: 0 })
      expect(stack.tools.calls).toEqual([])
      const approvalId = waiting.pendingApprovalId!
      expect(approvalId).toBeDefined()

      const record = yield* stack.orchestrator.resolveApproval("acme", resolve("approved", approvalId))
      expect(record.status).toBe("approved")
      yield* stack.orchestrator.awaitIdle
      const done = yield* stack.orchestrator.get("acme", run.run.runId)
      expect(done.run.state).toBe("COMPLETED")
      expect(done.output).toBe('done: {"cents":1200,"refunded":"o-42"}')
      expect(stack.tools.calls).toEqual([{ tool: "refund", args: { order: "o-42", cents: 1200 } }])
      // The approval allowed exactly that call, once.
      expect((yield* stack.approvals.get("acme", approvalId)).status).toBe("consumed")

      const events = yield* timeline(stack, "acme", run.run.runId)
      expect(transitions(events)).toEqual([
        "QUEUED->RUNNING",
        "RUNNING->WAITING_APPROVAL",
        "WAITING_APPROVAL->RUNNING",
        "RUNNING->COMPLETED"
      ])
      const resolved = events.find((e) => e.type === "run.approval_resolved")
      expect(resolved?.payload).toMatchObject({
        approvalId,
        outcome: "approved",
        decidedBy: { id: approver.id }
      })
      expect((yield* stack.audit.verify("acme")).ok).toBe(true)
    })
  )

  it.live("a denial reaches the model as a tool error and the run goes on (the default)", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({ script: refundScript })
      const { run } = yield* stack.orchestrator.create(request())
      const waiting = yield* waitFor(stack, "acme", run.run.runId, ["WAITING_APPROVAL"])
      yield* stack.orchestrator.resolveApproval("acme", resolve("denied", waiting.pendingApprovalId!))
      yield* stack.orchestrator.awaitIdle
      const done = yield* stack.orchestrator.get("acme", run.run.runId)
      expect(done.run.state).toBe("COMPLETED")
      expect(done.output).toBe('done: "The call was not run because an approver denied it."')
      expect(stack.model.requests[1]?.messages.at(-1)).toMatchObject({ role: "tool", isError: true })
      expect(stack.tools.calls).toEqual([])
    })
  )

  it.live("with approvalDenied: fail, a denial ends the run FAILED with reason approval_denied", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({ script: refundScript, orchestrator: { approvalDenied: "fail" } })
      const { run } = yield* stack.orchestrator.create(request())
      const waiting = yield* waitFor(stack, "acme", run.run.runId, ["WAITING_APPROVAL"])
      yield* stack.orchestrator.resolveApproval("acme", resolve("denied", waiting.pendingApprovalId!))
      yield* stack.orchestrator.awaitIdle
      const done = yield* stack.orchestrator.get("acme", run.run.runId)
      expect(done.run.state).toBe("FAILED")
      expect(done.endReason?.code).toBe("approval_denied")
      const events = yield* timeline(stack, "acme", run.run.runId)
      expect(transitions(events).at(-1)).toBe("WAITING_APPROVAL->FAILED")
    })
  )

  it.effect("an approval that expires resumes the run as denied, found by the periodic sweep", () => {
    const later = { ms: 0 }
    return Effect.gen(function* () {
      const stack = yield* makeStack({ script: refundScript, orchestrator: { sweepIntervalMs: 20 } })
      const { run } = yield* stack.orchestrator.create(request())
      const waiting = yield* waitFor(stack, "acme", run.run.runId, ["WAITING_APPROVAL"])
      // The approval lives 30 minutes; the store's clock moves past its deadline.
      later.ms = 31 * 60_000
      const done = yield* waitFor(stack, "acme", run.run.runId, ["COMPLETED", "FAILED"])
      expect(done.run.state).toBe("COMPLETED")
      expect(done.output).toBe('done: "The call was not run because its approval expired."')
      expect((yield* stack.approvals.get("acme", waiting.pendingApprovalId!)).status).toBe("expired")
      const events = yield* timeline(stack, "acme", run.run.runId)
      expect(events.find((e) => e.type === "run.approval_resolved")?.payload).toMatchObject({
        outcome: "expired",
        decidedBy: { kind: "system" }
      })
      // The expiry is audited as a decision of the system.
      const decisions = yield* stack.audit.list("acme", { kinds: ["approval_decision"] })
      expect(decisions.items.map((r) => r.eventType)).toEqual(["approval.expired"])
    }).pipe(Effect.provideService(Clock.Clock, shiftedClock(later)))
  })

  it.live("only an approver may resolve; the refusal is audited and the run keeps waiting", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({ script: refundScript })
      const { run } = yield* stack.orchestrator.create(request())
      const waiting = yield* waitFor(stack, "acme", run.run.runId, ["WAITING_APPROVAL"])
      const error = yield* Effect.flip(
        stack.orchestrator.resolveApproval("acme", resolve("approved", waiting.pendingApprovalId!, operator))
      )
      expect(error.reason).toBe("forbidden")
      yield* stack.orchestrator.awaitIdle
      expect((yield* stack.orchestrator.get("acme", run.run.runId)).run.state).toBe("WAITING_APPROVAL")
    })
  )
})
