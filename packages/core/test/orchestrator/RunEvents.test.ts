import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { type Actor, decodeUnknown, RunEventV1 } from "../../src/contracts/index.js"
import { hashOf } from "../../src/hash.js"
import { isId, newId, newTraceId } from "../../src/ids.js"
import {
  RunEvents,
  type RunLifecycleEvent,
  type RunTransition,
  transition
} from "../../src/orchestrator/index.js"

const decode = decodeUnknown(RunEventV1, "RunEventV1")
const valid = (event: RunEventV1) => {
  const decoded = decode(JSON.parse(JSON.stringify(event)))
  expect(
    Result.isSuccess(decoded),
    JSON.stringify(Result.isFailure(decoded) && decoded.failure.problems)
  ).toBe(true)
  return event
}

const operator: Actor = { kind: "user", id: "u-7", roles: ["operator"], displayName: "Dana" }
const context = RunEvents.runEventContext({
  runId: newId(),
  customerInstanceId: "acme",
  environment: "production"
})
const now = new Date("2026-03-01T10:00:00.000Z")
const approvalId = newId()

const change = (state: RunTransition["from"], event: RunLifecycleEvent) =>
  Result.getOrThrow(transition({ state }, event))

describe("run event builders", () => {
  it("mint a valid trace id for a new run, and keep a run's own one", () => {
    expect(context.traceId).toMatch(/^[0-9a-f]{32}$/)
    const traceId = newTraceId()
    expect(
      RunEvents.runEventContext(
        { runId: newId(), customerInstanceId: "acme", environment: "staging" },
        traceId
      ).traceId
    ).toBe(traceId)
  })

  it("build run.created: QUEUED, with who asked (kind and id only) and nothing undefined", () => {
    const event = valid(RunEvents.runCreated(context, { actor: operator, channel: "slack" }, now))
    expect(event).toMatchObject({
      type: "run.created",
      phase: "QUEUED",
      ts: "2026-03-01T10:00:00.000Z",
      traceId: context.traceId
    })
    expect(event.payload).toEqual({ actor: { kind: "user", id: "u-7" }, channel: "slack" })
    expect(isId(event.eventId)).toBe(true)
  })

  const transitions: ReadonlyArray<[RunTransition["from"], RunLifecycleEvent, Record<string, unknown>]> = [
    ["QUEUED", { type: "start", workerId: "w-1" }, { workerId: "w-1" }],
    [
      "RUNNING",
      { type: "await_approval", approvalId, toolName: "crm.delete" },
      { approvalId, toolName: "crm.delete" }
    ],
    [
      "WAITING_APPROVAL",
      { type: "resume", approvalId, outcome: "expired", workerId: "w-2" },
      { approvalId, approvalOutcome: "expired", workerId: "w-2" }
    ],
    ["RUNNING", { type: "requeue", reason: "lease_expired" }, { reason: "lease_expired" }],
    ["RUNNING", { type: "complete" }, {}],
    [
      "WAITING_APPROVAL",
      { type: "fail", reason: "checkpoint_invalid", detail: "$.version" },
      { reason: "checkpoint_invalid", detail: "$.version" }
    ],
    [
      "QUEUED",
      { type: "cancel", by: operator, reason: "duplicate request" },
      { cancelledBy: { kind: "user", id: "u-7" }, reason: "duplicate request" }
    ],
    ["RUNNING", { type: "cancel", by: operator }, { cancelledBy: { kind: "user", id: "u-7" } }]
  ]
  it.each(transitions)("build run.state_changed from %s on %o", (from, event, details) => {
    const accepted = change(from, event)
    const built = valid(RunEvents.stateChanged(context, accepted, now))
    expect(built.type).toBe("run.state_changed")
    expect(built.phase).toBe(accepted.to)
    expect(built.payload).toEqual({ from, to: accepted.to, event: event.type, ...details })
  })

  it("build every other event kind as a valid RunEventV1 in the run's current phase", () => {
    const built = [
      RunEvents.modelStep(context, "RUNNING", {
        step: 1,
        model: "openai/gpt-5-mini",
        finishReason: "tool-calls",
        usage: { inputTokens: 812, outputTokens: 40 },
        toolCalls: [{ id: "c1", name: "crm.lookup" }]
      }),
      RunEvents.toolRequested(context, "RUNNING", {
        toolCallId: "c1",
        toolName: "crm.lookup",
        argsHash: hashOf({ q: 1 })
      }),
      RunEvents.toolCompleted(context, "RUNNING", {
        toolCallId: "c1",
        toolName: "crm.lookup",
        outcome: "succeeded",
        invocationId: newId()
      }),
      RunEvents.toolCompleted(context, "RUNNING", {
        toolCallId: "c2",
        toolName: "crm.delete",
        outcome: "denied"
      }),
      RunEvents.approvalRequested(context, "RUNNING", {
        approvalId,
        toolCallId: "c3",
        toolName: "crm.delete",
        argsHash: hashOf({ id: 9 }),
        expiresAt: "2026-03-01T10:30:00.000Z",
        reapproval: false
      }),
      RunEvents.approvalResolved(context, "WAITING_APPROVAL", {
        approvalId,
        outcome: "approved",
        decidedBy: operator
      }),
      RunEvents.budgetExceeded(context, "RUNNING", {
        scope: "instance",
        resource: "cost",
        limit: 100,
        used: 130
      }),
      RunEvents.output(context, "RUNNING", "The customer is on the gold plan."),
      RunEvents.recovered(context, "QUEUED", {
        fromStep: 3,
        previousWorkerId: "w-1",
        actions: [{ action: "fail", toolCallId: "c4", toolName: "payments.charge", invocationId: newId() }]
      })
    ].map(valid)
    expect(built.map((e) => [e.type, e.phase])).toEqual([
      ["run.model_step", "RUNNING"],
      ["run.tool_requested", "RUNNING"],
      ["run.tool_completed", "RUNNING"],
      ["run.tool_completed", "RUNNING"],
      ["run.approval_requested", "RUNNING"],
      ["run.approval_resolved", "WAITING_APPROVAL"],
      ["run.budget_exceeded", "RUNNING"],
      ["run.output", "RUNNING"],
      ["run.recovered", "QUEUED"]
    ])
    expect(built[3]?.payload).not.toHaveProperty("invocationId")
    expect(built[5]?.payload).toEqual({
      approvalId,
      outcome: "approved",
      decidedBy: { kind: "user", id: "u-7" }
    })
    expect(new Set(built.map((e) => e.eventId)).size).toBe(built.length)
    expect(new Set(built.map((e) => e.traceId))).toEqual(new Set([context.traceId]))
  })

  it("give a run's state history as its run.state_changed events, each starting where the last ended", () => {
    const life: ReadonlyArray<RunLifecycleEvent> = [
      { type: "start", workerId: "w-1" },
      { type: "await_approval", approvalId, toolName: "crm.delete" },
      { type: "resume", approvalId, outcome: "approved", workerId: "w-1" },
      { type: "requeue", reason: "worker_stopped", previousWorkerId: "w-1" },
      { type: "start", workerId: "w-2" },
      { type: "complete" }
    ]
    let state: RunTransition["from"] = "QUEUED"
    const events = [RunEvents.runCreated(context, { actor: operator })]
    for (const e of life) {
      const accepted = change(state, e)
      events.push(RunEvents.stateChanged(context, accepted))
      state = accepted.to
    }
    const changes = events.filter((e) => e.type === "run.state_changed")
    for (const [i, e] of changes.entries()) {
      expect(e.payload.from).toBe(i === 0 ? "QUEUED" : changes[i - 1]?.payload.to)
    }
    expect(events.at(-1)?.phase).toBe("COMPLETED")
  })
})
