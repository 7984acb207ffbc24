import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import type { RunEventV1 } from "../../src/contracts/RunEvent.js"
import type { ModelRequest } from "../../src/model/ModelPort.js"
import { runTransitions as orchestratorTable } from "../../src/orchestrator/index.js"
import { runTransitions as storeTable } from "../../src/storage/RunRecord.js"
import {
  approver,
  makeStack,
  request,
  type Stack,
  type ToolLog,
  timeline,
  transitions,
  waitFor
} from "./harness.js"

/** Calls `tool` once, then answers with the tool's result (or its error). */
const oneCall = (tool: string, args: unknown) => (req: ModelRequest) => {
  const last = req.messages.at(-1)
  if (last?.role === "tool") return { text: `result: ${JSON.stringify(last.result)}` }
  return { toolCalls: [{ name: tool, args, id: "call-1" }] }
}

/** A worker whose lease lapses quickly once it stops (crashed or stalled). */
const fragile = { lease: { ttlMs: 300, heartbeatMs: 50 }, shutdownTimeoutMs: 10, recoverOnStart: false }
const survivor = { lease: { ttlMs: 2_000 }, sweepIntervalMs: 50 }

/** Starts a second worker on the same storage, as a restarted process would. */
const restart = (first: Stack, script: Parameters<typeof makeStack>[0]["script"], options = {}) =>
  makeStack({
    script,
    storageContext: first.storage,
    toolLog: first.tools,
    orchestrator: { ...survivor, ...options }
  })

/** Waits until `check` holds (bounded). */
const until = (check: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 2000 && !check(); i++) yield* Effect.sleep(5)
    expect(check()).toBe(true)
  })

/** No event recorded twice, state changes numbered 2, 3, 4... without a gap. */
const expectConsistent = (events: ReadonlyArray<RunEventV1>) => {
  expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length)
  const versions = events.filter((e) => e.type === "run.state_changed").map((e) => e.payload.version)
  expect(versions).toEqual(versions.map((_, i) => i + 2))
  expect(events[0]?.type).toBe("run.created")
}

describe("orchestrator: crash recovery (a worker stalls; another takes over from the checkpoint)", () => {
  it("keeps one transition table: the orchestrator's and the store's agree", () => {
    const sorted = (t: Record<string, ReadonlyArray<string>>) =>
      Object.fromEntries(Object.entries(t).map(([k, v]) => [k, [...v].sort()]))
    expect(sorted(orchestratorTable)).toEqual(sorted(storeTable))
  })

  it.live(
    "a non-idempotent call interrupted mid-way is not run again: the run fails with outcome_unknown",
    () =>
      Effect.gen(function* () {
        const first = yield* makeStack({ script: oneCall("charge", { cents: 500 }), orchestrator: fragile })
        first.tools.onCall = () => first.freeze()
        const { run } = yield* first.orchestrator.create(request())
        const runId = run.run.runId
        yield* until(() => first.tools.calls.length === 1)

        const second = yield* restart(first, oneCall("charge", { cents: 500 }))
        const view = yield* waitFor(second, "acme", runId, ["FAILED", "COMPLETED"])
        expect(view.run.state).toBe("FAILED")
        expect(view.endReason?.code).toBe("outcome_unknown")
        expect(view.endReason?.message).toMatch(/charge .*not idempotent/)
        expect(first.tools.calls).toHaveLength(1)
        const events = yield* timeline(second, "acme", runId)
        expectConsistent(events)
        expect(transitions(events)).toEqual([
          "QUEUED->RUNNING",
          "RUNNING->QUEUED",
          "QUEUED->RUNNING",
          "RUNNING->FAILED"
        ])
        expect(events.find((e) => e.type === "run.recovered")?.payload).toMatchObject({
          actions: [{ action: "fail", toolCallId: "call-1", toolName: "charge" }]
        })
        expect(events.find((e) => e.payload.event === "requeue")?.payload).toMatchObject({
          reason: "lease_expired",
          previousWorkerId: first.orchestrator.workerId
        })
        expect((yield* second.audit.verify("acme")).ok).toBe(true)
      })
  )

  it.live("an idempotent call interrupted mid-way runs again, linked to the first attempt", () =>
    Effect.gen(function* () {
      const first = yield* makeStack({
        script: oneCall("lookup", { email: "a@example.com" }),
        orchestrator: fragile
      })
      first.tools.onCall = () => first.freeze()
      const { run } = yield* first.orchestrator.create(request())
      yield* until(() => first.tools.calls.length === 1)
      first.tools.onCall = undefined
      const second = yield* restart(first, oneCall("lookup", { email: "a@example.com" }))
      const view = yield* waitFor(second, "acme", run.run.runId, ["FAILED", "COMPLETED"])
      expect(view.run.state).toBe("COMPLETED")
      expect(first.tools.calls.map((c) => c.tool)).toEqual(["lookup", "lookup"])
      const events = yield* timeline(second, "acme", run.run.runId)
      expectConsistent(events)
      const requested = events.filter((e) => e.type === "run.tool_requested")
      expect(requested).toHaveLength(2)
      expect(requested[1]?.payload.retryOf).toBe(requested[0]?.payload.attemptId)
    })
  )

  it.live("with nonIdempotentRecovery: require_approval, a human decides whether the call runs again", () =>
    Effect.gen(function* () {
      const first = yield* makeStack({ script: oneCall("charge", { cents: 500 }), orchestrator: fragile })
      first.tools.onCall = () => first.freeze()
      const { run } = yield* first.orchestrator.create(request())
      yield* until(() => first.tools.calls.length === 1)
      first.tools.onCall = undefined
      const second = yield* restart(first, oneCall("charge", { cents: 500 }), {
        nonIdempotentRecovery: "require_approval"
      })
      const waiting = yield* waitFor(second, "acme", run.run.runId, ["WAITING_APPROVAL", "FAILED"])
      expect(waiting.run.state).toBe("WAITING_APPROVAL")
      const approval = yield* second.approvals.get("acme", waiting.pendingApprovalId!)
      expect(approval.request.toolName).toBe("charge")
      expect(first.tools.calls).toHaveLength(1)
      yield* second.orchestrator.resolveApproval("acme", {
        approvalId: approval.approvalId,
        actor: approver,
        environment: "production",
        outcome: "approved",
        reason: "checked with the bank: the first charge did not go through"
      })
      const done = yield* waitFor(second, "acme", run.run.runId, ["COMPLETED", "FAILED"])
      expect(done.run.state).toBe("COMPLETED")
      expect(first.tools.calls).toHaveLength(2)
      const events = yield* timeline(second, "acme", run.run.runId)
      expectConsistent(events)
      expect(events.find((e) => e.type === "run.approval_requested")?.payload.reapproval).toBe(true)
    })
  )

  it.live("a worker stalled before any tool ran leaves nothing behind: the run simply resumes", () =>
    Effect.gen(function* () {
      const log: ToolLog = { calls: [], aborts: [] }
      let stalled: Stack | undefined
      const first = yield* makeStack({
        script: (req: ModelRequest, step: number) => {
          if (step === 0) stalled?.freeze()
          return oneCall("lookup", { email: "b@example.com" })(req)
        },
        orchestrator: fragile,
        toolLog: log
      })
      stalled = first
      const { run } = yield* first.orchestrator.create(request())
      yield* until(() => first.model.requests.length === 1)
      const second = yield* restart(first, oneCall("lookup", { email: "b@example.com" }))
      const view = yield* waitFor(second, "acme", run.run.runId, ["FAILED", "COMPLETED"])
      expect(view.run.state).toBe("COMPLETED")
      expect(log.calls).toHaveLength(1)
      const events = yield* timeline(second, "acme", run.run.runId)
      expectConsistent(events)
      expect(events.some((e) => e.type === "run.recovered")).toBe(false)
    })
  )

  it.live(
    "a stalled worker that wakes up after another took over can change nothing: its writes are fenced",
    () =>
      Effect.gen(function* () {
        const refund = { order: "o-7", cents: 300 }
        let stalled: Stack | undefined
        const first = yield* makeStack({
          script: (req: ModelRequest, step: number) => {
            if (step > 0) return oneCall("refund", refund)(req)
            stalled?.freeze()
            return { ...oneCall("refund", refund)(req), delayMs: 500 }
          },
          orchestrator: fragile
        })
        stalled = first
        const { run } = yield* first.orchestrator.create(request())
        const second = yield* restart(first, oneCall("refund", refund))
        const waiting = yield* waitFor(second, "acme", run.run.runId, ["WAITING_APPROVAL", "FAILED"])
        expect(waiting.run.state).toBe("WAITING_APPROVAL")
        // The first worker wakes up with the model's answer in hand and tries to start the call:
        // its lease is gone, so the store refuses its checkpoint and it stops before the tool runtime.
        first.thaw()
        yield* Effect.sleep(300)
        yield* first.orchestrator.awaitIdle
        const after = yield* second.orchestrator.get("acme", run.run.runId)
        expect(after.run.state).toBe("WAITING_APPROVAL")
        expect(after.run.version).toBe(waiting.run.version)
        expect((yield* second.approvals.listPending("acme")).items).toHaveLength(1)
        const events = yield* timeline(second, "acme", run.run.runId)
        expectConsistent(events)
        expect(events.filter((e) => e.type === "run.tool_requested")).toHaveLength(1)
        expect((yield* second.audit.verify("acme")).ok).toBe(true)
      })
  )

  it.live("a worker that stops cleanly puts its run back in the queue at once (worker_stopped)", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const first = yield* makeStack({
        script: [{ text: "slow", delayMs: 20_000 }],
        orchestrator: { shutdownTimeoutMs: 2_000 }
      }).pipe(Scope.provide(scope))
      const { run } = yield* first.orchestrator.create(request())
      yield* waitFor(first, "acme", run.run.runId, ["RUNNING"])
      yield* Scope.close(scope, Exit.void)
      const stopped = yield* first.runs.get("acme", run.run.runId)
      expect(stopped.state).toBe("QUEUED")
      expect(stopped.lease).toBeUndefined()
      const second = yield* restart(first, () => ({ text: "done" }))
      const done = yield* waitFor(second, "acme", run.run.runId, ["COMPLETED", "FAILED"])
      expect(done.output).toBe("done")
      const events = yield* timeline(second, "acme", run.run.runId)
      expectConsistent(events)
      expect(events.find((e) => e.payload.event === "requeue")?.payload.reason).toBe("worker_stopped")
    })
  )

  it.live(
    "a queued run whose checkpoint cannot be read fails with checkpoint_invalid (QUEUED -> FAILED)",
    () =>
      Effect.gen(function* () {
        const first = yield* makeStack({
          script: [{ text: "never", delayMs: 20_000 }],
          orchestrator: fragile
        })
        first.freeze()
        const created = yield* first.runs.create("acme", request())
        yield* first.runs.appendCheckpoint("acme", created.run.runId, { data: { version: 99 } })
        const second = yield* restart(first, () => ({ text: "unreachable" }))
        const view = yield* waitFor(second, "acme", created.run.runId, ["FAILED", "COMPLETED"])
        expect(view.endReason?.code).toBe("checkpoint_invalid")
        const events = yield* timeline(second, "acme", created.run.runId)
        expectConsistent(events)
        expect(transitions(events)).toEqual(["QUEUED->FAILED"])
      })
  )
})
