import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { hashOf } from "../../src/hash.js"
import { newId, newTraceId } from "../../src/ids.js"
import type { ModelToolCall } from "../../src/model/index.js"
import {
  initialCheckpoint,
  nextToolCall,
  outcomeUnknownResult,
  planRecovery,
  type RunCheckpoint,
  recordModelStep,
  setToolCall,
  type ToolCallProgress
} from "../../src/orchestrator/index.js"

const run = { runId: newId(), customerInstanceId: "acme", traceId: newTraceId(), input: "go" }
const call = (id: string, name = "crm.update"): ModelToolCall => ({ id, name, args: { id } })

/** A checkpoint whose current step has these calls in these states. */
const withCalls = (progress: ReadonlyArray<ToolCallProgress>): RunCheckpoint => {
  let cp = recordModelStep(initialCheckpoint(run), {
    text: "",
    toolCalls: progress.map((p) => p.call),
    finishReason: "tool-calls",
    usage: { inputTokens: 1, outputTokens: 1 }
  })
  for (const p of progress) cp = setToolCall(cp, p)
  return cp
}

const started = (
  id: string,
  idempotent: boolean,
  approvalId?: string
): Extract<ToolCallProgress, { status: "started" }> => ({
  status: "started",
  call: call(id),
  argsHash: hashOf({ id }),
  invocationId: newId(),
  startedAt: "2026-03-01T10:00:00.000Z",
  idempotent,
  ...(approvalId === undefined ? {} : { approvalId })
})

describe("crash recovery of interrupted tool calls", () => {
  it("runs an interrupted idempotent call again, linked to the first invocation", () => {
    const s = started("c1", true)
    const plan = planRecovery(withCalls([s]), { nonIdempotent: "fail" })
    expect(plan.next).toBe("resume")
    expect(plan.actions).toEqual([
      { action: "rerun", toolCallId: "c1", toolName: "crm.update", invocationId: s.invocationId }
    ])
    expect(plan.checkpoint.toolCalls[0]).toEqual({
      status: "pending",
      call: call("c1"),
      retryOf: s.invocationId
    })
  })

  it("keeps the approval of an interrupted idempotent call that had one", () => {
    const approvalId = newId()
    const plan = planRecovery(withCalls([started("c1", true, approvalId)]), { nonIdempotent: "fail" })
    expect(plan.checkpoint.toolCalls[0]).toMatchObject({
      status: "approved",
      approvalId,
      argsHash: hashOf({ id: "c1" })
    })
  })

  it("fails the run with outcome unknown for an interrupted non-idempotent call (the default)", () => {
    const plan = planRecovery(withCalls([started("c1", false)]), { nonIdempotent: "fail" })
    expect(plan.next).toBe("fail")
    expect(plan.actions.map((a) => a.action)).toEqual(["fail"])
    expect(plan.checkpoint.toolCalls[0]).toMatchObject({
      status: "finished",
      outcome: "outcome_unknown",
      isError: true,
      result: outcomeUnknownResult
    })
  })

  it("asks a human again instead, when so configured", () => {
    const plan = planRecovery(withCalls([started("c1", false)]), { nonIdempotent: "require_approval" })
    expect(plan.next).toBe("await_approval")
    expect(plan.actions).toEqual([
      expect.objectContaining({ action: "reapprove", toolCallId: "c1", argsHash: hashOf({ id: "c1" }) })
    ])
    // The call stays `started` until the approval request exists; it is not run in between.
    expect(plan.checkpoint.toolCalls[0]?.status).toBe("started")
  })

  it("simply resumes when nothing was interrupted (pending calls never ran)", () => {
    const cp = withCalls([
      { status: "finished", call: call("c1"), outcome: "succeeded", result: 1, isError: false },
      { status: "pending", call: call("c2") }
    ])
    const plan = planRecovery(cp, { nonIdempotent: "fail" })
    expect([plan.next, plan.actions, plan.checkpoint]).toEqual(["resume", [], cp])
    expect(nextToolCall(plan.checkpoint)?.call.id).toBe("c2")
  })

  it("keeps waiting when a call was already waiting for a human", () => {
    const cp = withCalls([
      {
        status: "awaiting_approval",
        call: call("c1"),
        argsHash: hashOf({ id: "c1" }),
        approvalId: newId(),
        reapproval: false
      }
    ])
    expect(planRecovery(cp, { nonIdempotent: "fail" }).next).toBe("await_approval")
  })

  it("fails the run if any interrupted call's outcome is unknown, even when others can be re-run", () => {
    const plan = planRecovery(withCalls([started("c1", true), started("c2", false)]), {
      nonIdempotent: "fail"
    })
    expect(plan.next).toBe("fail")
    expect(plan.actions.map((a) => a.action)).toEqual(["rerun", "fail"])
  })

  it("never silently runs a non-idempotent call a second time, whatever the state and setting", () => {
    const progressArb = (id: string): fc.Arbitrary<ToolCallProgress> =>
      fc.oneof(
        fc.constant<ToolCallProgress>({ status: "pending", call: call(id) }),
        fc.boolean().map((idempotent) => started(id, idempotent)),
        fc.constant<ToolCallProgress>({
          status: "finished",
          call: call(id),
          outcome: "succeeded",
          result: null,
          isError: false
        }),
        fc.constant<ToolCallProgress>({
          status: "awaiting_approval",
          call: call(id),
          argsHash: hashOf({ id }),
          approvalId: newId(),
          reapproval: false
        })
      )
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 6 })
          .chain((n) => fc.tuple(...[...Array(n).keys()].map((i) => progressArb(`c${i}`)))),
        fc.constantFrom("fail" as const, "require_approval" as const),
        (progress, nonIdempotent) => {
          const plan = planRecovery(withCalls(progress), { nonIdempotent })
          for (const [i, before] of progress.entries()) {
            const after = plan.checkpoint.toolCalls[i]!
            if (before.status !== "started") expect(after).toEqual(before)
            else if (before.idempotent) {
              expect(after).toMatchObject({ status: "pending", retryOf: before.invocationId })
            } else {
              // Non-idempotent: either ended as unknown, or left for a human; never made runnable.
              if (nonIdempotent === "fail") {
                expect(after).toMatchObject({ status: "finished", outcome: "outcome_unknown" })
              } else expect(after).toEqual(before)
              expect(plan.next).not.toBe("resume")
            }
          }
        }
      ),
      { numRuns: 300 }
    )
  })
})
