import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { hashOf } from "../../src/hash.js"
import { newId, newTraceId } from "../../src/ids.js"
import { InvalidInputError } from "../../src/json/index.js"
import type { ModelResponse } from "../../src/model/index.js"
import {
  closeStep,
  decodeCheckpoint,
  encodeCheckpoint,
  initialCheckpoint,
  nextToolCall,
  type RunCheckpoint,
  recordModelStep,
  resolveApproval,
  setToolCall
} from "../../src/orchestrator/index.js"

const run = { runId: newId(), customerInstanceId: "acme", traceId: newTraceId(), input: "Refund order 42" }

const step = (toolCalls: ModelResponse["toolCalls"], text = ""): ModelResponse => ({
  text,
  toolCalls,
  finishReason: toolCalls.length > 0 ? "tool-calls" : "stop",
  usage: { inputTokens: 100, outputTokens: 20 }
})

const lookup = { id: "c1", name: "orders.lookup", args: { orderId: 42 } }
const refund = { id: "c2", name: "orders.refund", args: { orderId: 42, amount: 10 } }

/** A checkpoint in the middle of everything: a finished call, one started, one waiting for a human. */
const busyCheckpoint = (): RunCheckpoint => {
  let cp = recordModelStep(
    initialCheckpoint(run),
    step([lookup, refund, { id: "c3", name: "crm.note", args: {} }])
  )
  cp = setToolCall(cp, {
    status: "finished",
    call: lookup,
    outcome: "succeeded",
    result: { status: "paid" },
    isError: false,
    invocationId: newId()
  })
  cp = setToolCall(cp, {
    status: "started",
    call: refund,
    argsHash: hashOf(refund.args),
    invocationId: newId(),
    startedAt: "2026-03-01T10:00:00.000Z",
    idempotent: false
  })
  return setToolCall(cp, {
    status: "awaiting_approval",
    call: { id: "c3", name: "crm.note", args: {} },
    argsHash: hashOf({}),
    approvalId: newId(),
    reapproval: false
  })
}

const throughStorage = (cp: RunCheckpoint) =>
  JSON.parse(JSON.stringify(Result.getOrThrow(encodeCheckpoint(cp)))) as unknown

describe("run checkpoint: schema", () => {
  it("survives a trip through storage unchanged", () => {
    const cp = busyCheckpoint()
    expect(decodeCheckpoint(throughStorage(cp), run)).toEqual(Result.succeed(cp))
  })

  it("survives storage for any conversation a model and tools can produce", () => {
    // What the bounded JSON reader lets through: JSON values without "__proto__" keys.
    const json = (maxDepth: number) =>
      fc
        .jsonValue({ maxDepth })
        .map((v) => JSON.parse(JSON.stringify(v)))
        .filter((v) => !JSON.stringify(v).includes('"__proto__"'))
    const callArb = fc.record({
      id: fc.string({ minLength: 1, maxLength: 20 }),
      name: fc.string({ maxLength: 20 }),
      args: json(4)
    })
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            text: fc.string(),
            calls: fc.uniqueArray(callArb, { selector: (c) => c.id, maxLength: 3 }),
            result: json(3)
          }),
          { maxLength: 5 }
        ),
        (steps) => {
          let cp = initialCheckpoint(run)
          for (const s of steps) {
            cp = recordModelStep(cp, step(s.calls, s.text))
            for (const call of s.calls) {
              cp = setToolCall(cp, {
                status: "finished",
                call,
                outcome: "succeeded",
                result: s.result,
                isError: false
              })
            }
            cp = closeStep(cp)
            const decoded = decodeCheckpoint(throughStorage(cp), run)
            expect(
              Result.isSuccess(decoded),
              JSON.stringify(Result.isFailure(decoded) && decoded.failure.problems)
            ).toBe(true)
            expect(Result.getOrThrow(decoded)).toEqual(cp)
          }
        }
      ),
      { numRuns: 150 }
    )
  })

  it("still reads a checkpoint stored by this release (version 1) after an upgrade", () => {
    // Written out by hand as it lies in storage: changing the schema in a way that breaks this is
    // a breaking change that needs a new version and a migration.
    const stored = {
      version: 1,
      runId: "01950000-0000-7000-8000-00000000000a",
      customerInstanceId: "acme",
      traceId: "0195000000007000800000000000000a",
      messages: [
        { role: "user", text: "Refund order 42" },
        {
          role: "assistant",
          text: "",
          toolCalls: [{ id: "c1", name: "orders.refund", args: { orderId: 42 } }]
        }
      ],
      usage: { steps: 1, inputTokens: 100, outputTokens: 20, costMicros: 0 },
      toolCalls: [
        {
          status: "started",
          call: { id: "c1", name: "orders.refund", args: { orderId: 42 } },
          argsHash: "b2b902820ddfbdcf3d183b65202fdcf42c258519afdd8bc71c77bd2ea98b3b6a",
          invocationId: "01950000-0000-7000-8000-00000000000b",
          startedAt: "2026-03-01T10:00:00.000Z",
          idempotent: false
        }
      ]
    }
    const decoded = decodeCheckpoint(stored, { runId: stored.runId, customerInstanceId: "acme" })
    expect(Result.getOrThrow(decoded).toolCalls[0]?.status).toBe("started")
    expect(stored.toolCalls[0]?.argsHash).toBe(hashOf({ orderId: 42 }))
    // Version 1 had no outbox: it reads as version 2 with nothing left to append.
    expect(Result.getOrThrow(decoded)).toMatchObject({ version: 2, outbox: [] })
  })

  it("keeps the events of its outbox through storage, and refuses an outbox that is not run events", () => {
    const cp: RunCheckpoint = {
      ...busyCheckpoint(),
      outbox: [
        {
          version: 1,
          eventId: newId(),
          runId: run.runId,
          customerInstanceId: "acme",
          environment: "production",
          ts: "2026-03-01T10:00:00.000Z",
          type: "run.model_step",
          phase: "RUNNING",
          payload: { step: 1 },
          traceId: run.traceId
        }
      ]
    }
    expect(decodeCheckpoint(throughStorage(cp), run)).toEqual(Result.succeed(cp))
    const broken = { ...(throughStorage(cp) as Record<string, unknown>), outbox: [{ type: "nope" }] }
    const error = Result.merge(decodeCheckpoint(broken, run)) as InvalidInputError
    expect(error.problems.some((p) => p.path.startsWith("$.outbox[0]"))).toBe(true)
  })

  const refusals: ReadonlyArray<[string, (cp: Record<string, unknown>) => unknown, string, RegExp]> = [
    [
      "an unknown version",
      (cp) => ({ ...cp, version: 3 }),
      "$.version",
      /checkpoint version 3 is not one this release reads \(1, 2\)/
    ],
    ["no version at all", ({ version: _, ...cp }) => cp, "$.version", /checkpoint version undefined/],
    ["something that is not an object", () => "garbage", "$.version", /is not one this release reads/],
    ["an unknown key (written by a newer release)", (cp) => ({ ...cp, lease: "w-1" }), "$.lease", /./],
    [
      "a started call without its invocation id",
      (cp) => ({
        ...cp,
        toolCalls: (cp.toolCalls as Array<Record<string, unknown>>).map((p) =>
          p.status === "started" ? { ...p, invocationId: undefined } : p
        )
      }),
      "$.toolCalls[1]",
      /./
    ],
    [
      "tool calls that are not those of the last assistant message",
      (cp) => ({ ...cp, messages: (cp.messages as Array<unknown>).slice(0, 1) }),
      "$",
      /tool calls in progress need the assistant message/
    ]
  ]
  it.each(refusals)("refuses %s, naming the field", (_name, corrupt, path, message) => {
    const stored = throughStorage(busyCheckpoint()) as Record<string, unknown>
    const decoded = decodeCheckpoint(corrupt(stored), run)
    expect(Result.isFailure(decoded)).toBe(true)
    const error = Result.merge(decoded) as InvalidInputError
    expect(error).toBeInstanceOf(InvalidInputError)
    expect(error.problems.some((p) => p.path.startsWith(path) && message.test(p.message))).toBe(true)
  })

  it("refuses the checkpoint of another run, or of another customer instance without naming it", () => {
    const stored = throughStorage(busyCheckpoint())
    const otherRun = Result.merge(decodeCheckpoint(stored, { ...run, runId: newId() })) as InvalidInputError
    expect(otherRun.problems[0]?.path).toBe("$.runId")
    const otherInstance = Result.merge(
      decodeCheckpoint(stored, { ...run, customerInstanceId: "globex" })
    ) as InvalidInputError
    expect(otherInstance.problems[0]).toEqual({
      path: "$.customerInstanceId",
      message: "the checkpoint belongs to another customer instance"
    })
  })

  it("refuses to encode a checkpoint that could not be read back, naming the field", () => {
    const poisoned = JSON.parse('{"__proto__": {"admin": true}}')
    const cp = recordModelStep(initialCheckpoint(run), step([{ id: "p", name: "x", args: poisoned }]))
    const refused = Result.merge(encodeCheckpoint(cp)) as InvalidInputError
    expect(refused).toBeInstanceOf(InvalidInputError)
    expect(refused.problems.map((p) => p.path)).toContain("$.messages[1].toolCalls[0].args")
  })

  it("reads tool arguments nested as deep as a model may send them (wider limits than requests)", () => {
    let deep: unknown = 1
    for (let i = 0; i < 31; i++) deep = [deep]
    const call = { id: "d", name: "x", args: deep as ModelResponse["toolCalls"][number]["args"] }
    const cp = recordModelStep(initialCheckpoint(run), step([call]))
    expect(Result.isSuccess(decodeCheckpoint(throughStorage(cp), run))).toBe(true)
  })
})

describe("run checkpoint: steps", () => {
  it("starts with the user's input and no usage", () => {
    const cp = initialCheckpoint(run)
    expect(cp.messages).toEqual([{ role: "user", text: "Refund order 42" }])
    expect(cp.usage).toEqual({ steps: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 })
    expect(cp.toolCalls).toEqual([])
  })

  it("records a model step: its message, its usage and its tool calls as pending work", () => {
    const cp = recordModelStep(initialCheckpoint(run), step([lookup], "Checking."), {
      inputMicrosPerMillionTokens: 1_000_000,
      outputMicrosPerMillionTokens: 1_000_000
    })
    expect(cp.messages.at(-1)).toEqual({ role: "assistant", text: "Checking.", toolCalls: [lookup] })
    expect(cp.usage).toEqual({ steps: 1, inputTokens: 100, outputTokens: 20, costMicros: 120 })
    expect(cp.toolCalls).toEqual([{ status: "pending", call: lookup }])
  })

  it("refuses a new model step while tool calls of the last one are unfinished", () => {
    const cp = recordModelStep(initialCheckpoint(run), step([lookup]))
    expect(() => recordModelStep(cp, step([]))).toThrow(/unfinished/)
  })

  it("works through tool calls one at a time, in the model's order: a call waiting for a human holds back the next", () => {
    const cp = busyCheckpoint()
    expect(nextToolCall(cp)?.status).toBe("started")
    const afterCrash = setToolCall(cp, {
      status: "finished",
      call: refund,
      outcome: "succeeded",
      result: "ok",
      isError: false
    })
    expect(nextToolCall(afterCrash)?.call.id).toBe("c3")
    expect(nextToolCall(afterCrash)?.status).toBe("awaiting_approval")
  })

  it("closes a step when every call finished: results join the conversation in call order", () => {
    let cp = recordModelStep(initialCheckpoint(run), step([lookup, refund]))
    cp = setToolCall(cp, {
      status: "finished",
      call: refund,
      outcome: "denied",
      result: "denied by policy",
      isError: true
    })
    expect(closeStep(cp)).toBe(cp)
    cp = setToolCall(cp, {
      status: "finished",
      call: lookup,
      outcome: "succeeded",
      result: { status: "paid" },
      isError: false
    })
    const closed = closeStep(cp)
    expect(closed.toolCalls).toEqual([])
    expect(closed.messages.slice(-2)).toEqual([
      {
        role: "tool",
        toolCallId: "c1",
        toolName: "orders.lookup",
        result: { status: "paid" },
        isError: false
      },
      { role: "tool", toolCallId: "c2", toolName: "orders.refund", result: "denied by policy", isError: true }
    ])
    expect(nextToolCall(closed)).toBeUndefined()
  })

  it("refuses to track a call that is not part of the current step", () => {
    expect(() => setToolCall(initialCheckpoint(run), { status: "pending", call: lookup })).toThrow(
      /not part of the current step/
    )
  })
})

describe("run checkpoint: approvals", () => {
  const waiting = (reapproval: boolean) => {
    const approvalId = newId()
    const cp = setToolCall(recordModelStep(initialCheckpoint(run), step([refund])), {
      status: "awaiting_approval",
      call: refund,
      argsHash: hashOf(refund.args),
      approvalId,
      reapproval,
      ...(reapproval ? { retryOf: "01950000-0000-7000-8000-00000000000b" } : {})
    })
    return { cp, approvalId }
  }

  it("lets an approved call start, bound to the approved arguments", () => {
    const { cp, approvalId } = waiting(false)
    expect(resolveApproval(cp, approvalId, "approved").toolCalls[0]).toEqual({
      status: "approved",
      call: refund,
      argsHash: hashOf(refund.args),
      approvalId
    })
  })

  it.each([
    ["denied", false, "denied", /not run because an approver denied it/],
    ["expired", false, "denied", /not run because its approval expired/],
    [
      "denied",
      true,
      "outcome_unknown",
      /may or may not have taken effect; it was not run again because an approver denied it/
    ]
  ] as const)(
    "ends a %s call (re-approval: %s) as an error the model sees",
    (outcome, reapproval, recorded, text) => {
      const { cp, approvalId } = waiting(reapproval)
      const done = resolveApproval(cp, approvalId, outcome).toolCalls[0]
      expect(done?.status === "finished" && [done.outcome, done.isError]).toEqual([recorded, true])
      expect(done?.status === "finished" && done.result).toMatch(text)
    }
  )

  it("keeps the link to the interrupted invocation when a re-approval is granted", () => {
    const { cp, approvalId } = waiting(true)
    expect(resolveApproval(cp, approvalId, "approved").toolCalls[0]).toMatchObject({
      status: "approved",
      retryOf: "01950000-0000-7000-8000-00000000000b"
    })
  })

  it("refuses a decision for an approval no call waits for", () => {
    expect(() => resolveApproval(waiting(false).cp, newId(), "approved")).toThrow(
      /no tool call of the current step waits/
    )
  })
})
