import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import type { RunState } from "../../src/contracts/index.js"
import {
  IllegalTransitionError,
  isLegalTransition,
  isTerminal,
  lifecycleEvents,
  type RunLifecycleEvent,
  runTransitions,
  transition
} from "../../src/orchestrator/index.js"

const states: ReadonlyArray<RunState> = [
  "QUEUED",
  "RUNNING",
  "WAITING_APPROVAL",
  "COMPLETED",
  "FAILED",
  "CANCELLED"
]

// The lifecycle of docs/adr/0003-run-lifecycle.md, written out independently of the code.
const legal: ReadonlyArray<readonly [RunState, RunState, RunLifecycleEvent["type"]]> = [
  ["QUEUED", "RUNNING", "start"],
  ["QUEUED", "FAILED", "fail"],
  ["QUEUED", "CANCELLED", "cancel"],
  ["RUNNING", "WAITING_APPROVAL", "await_approval"],
  ["RUNNING", "QUEUED", "requeue"],
  ["RUNNING", "COMPLETED", "complete"],
  ["RUNNING", "FAILED", "fail"],
  ["RUNNING", "CANCELLED", "cancel"],
  ["WAITING_APPROVAL", "RUNNING", "resume"],
  ["WAITING_APPROVAL", "FAILED", "fail"],
  ["WAITING_APPROVAL", "CANCELLED", "cancel"]
]

const operator = { kind: "user", id: "u-7", roles: ["operator"] } as const
const sampleEvents: Record<RunLifecycleEvent["type"], RunLifecycleEvent> = {
  start: { type: "start", workerId: "w-1" },
  await_approval: {
    type: "await_approval",
    approvalId: "01930000-0000-7000-8000-000000000001",
    toolName: "crm.delete"
  },
  resume: {
    type: "resume",
    approvalId: "01930000-0000-7000-8000-000000000001",
    outcome: "approved",
    workerId: "w-2"
  },
  requeue: { type: "requeue", reason: "lease_expired", previousWorkerId: "w-1" },
  complete: { type: "complete" },
  fail: { type: "fail", reason: "model_error", detail: "HTTP 500" },
  cancel: { type: "cancel", by: operator, reason: "customer asked" }
}

const pairs = states.flatMap((from) => states.map((to) => [from, to] as const))

describe("run state machine", () => {
  describe.each(pairs)("%s -> %s", (from, to) => {
    const rule = legal.find(([f, t]) => f === from && t === to)
    if (rule !== undefined) {
      it(`is legal, reached only by the ${rule[2]} event`, () => {
        expect(isLegalTransition(from, to)).toBe(true)
        const reaching = Object.values(sampleEvents).filter(
          (e) => Result.isSuccess(transition({ state: from }, e)) && lifecycleEvents[e.type].to === to
        )
        expect(reaching.map((e) => e.type)).toEqual([rule[2]])
        expect(transition({ state: from }, sampleEvents[rule[2]])).toEqual(
          Result.succeed({ from, to, event: sampleEvents[rule[2]] })
        )
      })
    } else {
      it("is illegal: no event makes it, and each attempt is a typed error naming both states", () => {
        expect(isLegalTransition(from, to)).toBe(false)
        for (const event of Object.values(sampleEvents).filter((e) => lifecycleEvents[e.type].to === to)) {
          const result = transition({ state: from, runId: "r-1" }, event)
          expect(Result.isFailure(result)).toBe(true)
          const error = Result.merge(result) as IllegalTransitionError
          expect(error).toBeInstanceOf(IllegalTransitionError)
          expect([error.from, error.to, error.event]).toEqual([from, to, event.type])
          expect(error.message).toContain(`run r-1 cannot go from ${from} to ${to} (${event.type})`)
        }
      })
    }
  })

  it("has exactly the documented table and nothing else", () => {
    const table = Object.fromEntries(
      states.map((s) => [
        s,
        legal
          .filter(([f]) => f === s)
          .map(([, t]) => t)
          .sort()
      ])
    )
    expect(Object.fromEntries(states.map((s) => [s, [...runTransitions[s]].sort()]))).toEqual(table)
  })

  it("never lets a run leave a terminal state, and says the run has ended", () => {
    for (const state of states.filter(isTerminal)) {
      for (const event of Object.values(sampleEvents)) {
        const error = Result.merge(transition({ state }, event)) as IllegalTransitionError
        expect(error.reason).toBe("run-ended")
        expect(error.message).toMatch(/the run has already ended/)
      }
    }
  })

  it("explains where a live run may go when an event does not fit its state", () => {
    const error = Result.merge(
      transition({ state: "QUEUED" }, sampleEvents.complete)
    ) as IllegalTransitionError
    expect(error.reason).toBe("not-allowed")
    expect(error.message).toBe(
      "run cannot go from QUEUED to COMPLETED (complete): from QUEUED a run may only go to RUNNING, FAILED, CANCELLED"
    )
  })

  it("has no self transitions: the same state twice means a lost update, not progress", () => {
    for (const state of states) expect(isLegalTransition(state, state)).toBe(false)
  })

  it("takes a full life with an approval wait and a crash", () => {
    const path: ReadonlyArray<RunLifecycleEvent> = [
      sampleEvents.start,
      sampleEvents.await_approval,
      sampleEvents.resume,
      sampleEvents.requeue,
      sampleEvents.start,
      sampleEvents.complete
    ]
    let state: RunState = "QUEUED"
    const seen: Array<RunState> = [state]
    for (const event of path) {
      state = Result.getOrThrow(transition({ state }, event)).to
      seen.push(state)
    }
    expect(seen).toEqual([
      "QUEUED",
      "RUNNING",
      "WAITING_APPROVAL",
      "RUNNING",
      "QUEUED",
      "RUNNING",
      "COMPLETED"
    ])
  })

  it("is a schema error that survives a trip through JSON (it reaches API callers)", () => {
    const error = Result.merge(
      transition({ state: "COMPLETED", runId: "r-9" }, sampleEvents.cancel)
    ) as IllegalTransitionError
    expect(error._tag).toBe("@bga/core/IllegalTransitionError")
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      from: "COMPLETED",
      to: "CANCELLED",
      event: "cancel"
    })
  })
})
