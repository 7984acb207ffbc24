import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import Type from "typebox"
import { z } from "zod"
import { defineTool } from "../../src/tools/ToolDefinition.js"
import { approver, call, makeHarness, operator } from "./harness.js"

const echo = defineTool({
  name: "echo",
  description: "Echo",
  parameters: Schema.Struct({ text: Schema.String }),
  idempotent: true,
  handler: ({ text }) => ({ echoed: text })
})
const pay = defineTool({
  name: "pay",
  description: "Pay an invoice",
  parameters: z.object({ invoice: z.string(), amount: z.number(), iban: z.string() }).strict(),
  redactArgs: ["iban"],
  handler: ({ invoice, amount }) => ({ paid: invoice, amount })
})
const slow = defineTool({
  name: "slow",
  description: "Never answers",
  parameters: Type.Object({}),
  timeoutMs: 50,
  handler: () => new Promise(() => {})
})
const boom = defineTool({
  name: "boom",
  description: "Throws",
  parameters: Type.Object({}),
  handler: () => {
    throw new RangeError("exploded")
  }
})
const notAllowed = defineTool({
  name: "nope",
  description: "Nobody allowed it",
  parameters: Type.Object({}),
  handler: () => "ran"
})
const shell = defineTool({
  name: "shell",
  description: "Risky",
  parameters: Type.Object({ cmd: Type.String() }),
  riskClass: "exec",
  handler: () => "ran on host"
})

const tools = [echo, pay, slow, boom, notAllowed, shell] as const

describe("tool runtime: one invoke path", () => {
  it.effect("runs an allowed tool and links its invocation to a recorded decision", () =>
    Effect.gen(function* () {
      const { runtime, audit } = yield* makeHarness(tools)
      const outcome = yield* runtime.invoke(call("echo", { text: "hi" }))
      expect(outcome._tag).toBe("Succeeded")
      if (outcome._tag !== "Succeeded") return
      expect(outcome.output).toEqual({ echoed: "hi" })
      expect(outcome.invocation.policyDecisionId).toBe(outcome.decision.decisionId)
      const records = (yield* audit.list("acme")).items
      expect(records.map((r) => r.kind)).toEqual(["policy_decision", "tool_invocation"])
      expect(records[0]?.decisionId).toBe(outcome.decision.decisionId)
    })
  )

  it.effect("denies a tool no rule allows, with the decision and a denied invocation on record", () =>
    Effect.gen(function* () {
      const { runtime, audit } = yield* makeHarness(tools)
      const outcome = yield* runtime.invoke(call("nope", {}))
      expect(outcome._tag).toBe("Denied")
      expect(outcome.invocation?.outcome).toBe("denied")
      const kinds = (yield* audit.list("acme")).items.map((r) => r.kind)
      expect(kinds).toEqual(["policy_decision", "tool_invocation"])
    })
  )

  it.effect("returns invalid arguments to the model as a tool error, still decided and recorded", () =>
    Effect.gen(function* () {
      const { runtime } = yield* makeHarness(tools)
      const outcome = yield* runtime.invoke(call("echo", { text: 42 }))
      expect(outcome._tag).toBe("InvalidArguments")
      if (outcome._tag !== "InvalidArguments") return
      expect(outcome.problems[0]?.path).toBe("$.text")
      expect(outcome.invocation.outcome).toBe("invalid_arguments")
      expect(outcome.invocation.policyDecisionId).toBe(outcome.decision.decisionId)
    })
  )

  it.effect("denies an unknown tool with a runtime decision", () =>
    Effect.gen(function* () {
      const { runtime } = yield* makeHarness(tools)
      const outcome = yield* runtime.invoke(call("../../etc/passwd", {}))
      expect(outcome._tag).toBe("Denied")
      expect(outcome.decision.decidingRule?.ruleId).toBe("runtime.unknown-tool")
      expect(outcome.invocation).toBeUndefined()
    })
  )

  it.effect("gives the handler the id of its invocation record", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      const whoAmI = defineTool({
        name: "echo",
        description: "Reports its invocation id",
        parameters: Schema.Struct({}),
        handler: (_args, context) => {
          seen.push(context.invocationId)
          return "ok"
        }
      })
      const { runtime, audit } = yield* makeHarness([whoAmI])
      const first = yield* runtime.invoke(call("echo", {}))
      const second = yield* runtime.invoke(call("echo", {}))
      expect([first._tag, second._tag]).toEqual(["Succeeded", "Succeeded"])
      expect(seen).toEqual([first.invocation?.invocationId, second.invocation?.invocationId])
      expect(new Set(seen).size).toBe(2)
      const recorded = (yield* audit.list("acme", { kinds: ["tool_invocation"] })).items
      expect(recorded.map((r) => (r.payload as { invocationId: string }).invocationId)).toEqual(seen)
    })
  )

  it.effect("cuts a handler that hangs at its timeout", () =>
    Effect.gen(function* () {
      const { runtime } = yield* makeHarness(tools)
      const outcome = yield* runtime.invoke(call("slow", {}))
      expect(outcome._tag).toBe("Failed")
      expect(outcome.invocation?.outcome).toBe("timed_out")
    })
  )

  it.effect("turns a throwing handler into a typed failure with nothing lost", () =>
    Effect.gen(function* () {
      const { runtime, audit } = yield* makeHarness(tools)
      const outcome = yield* runtime.invoke(call("boom", {}))
      expect(outcome).toMatchObject({ _tag: "Failed", errorCode: "RangeError", message: "exploded" })
      expect(outcome.invocation?.errorCode).toBe("RangeError")
      expect((yield* audit.list("acme")).items.map((r) => r.kind)).toEqual([
        "policy_decision",
        "tool_invocation"
      ])
    })
  )

  it.effect("reports cancellation when the run is cancelled mid-tool", () =>
    Effect.gen(function* () {
      const hang = defineTool({
        name: "echo",
        description: "hangs",
        parameters: Type.Object({}),
        timeoutMs: 10_000,
        handler: () => new Promise(() => {})
      })
      const { runtime } = yield* makeHarness([hang])
      const controller = new AbortController()
      setTimeout(() => controller.abort(), 20)
      const outcome = yield* runtime.invoke(call("echo", {}, { signal: controller.signal }))
      expect(outcome.invocation?.outcome).toBe("cancelled")
    })
  )
})

describe("tool runtime: risky tools", () => {
  it.effect("denies a risky tool when there is no sandbox lane, and never runs it on the host", () =>
    Effect.gen(function* () {
      const { runtime } = yield* makeHarness(tools)
      const outcome = yield* runtime.invoke(call("shell", { cmd: "id" }))
      expect(outcome._tag).toBe("Denied")
      expect(outcome.decision.decidingRule?.ruleId).toMatch(/^platform\./)
    })
  )

  it.effect("routes a risky tool into a sandbox lane when a driver is present", () =>
    Effect.gen(function* () {
      const lanes: Array<string> = []
      const sandbox = {
        acquire: (spec: { customerInstanceId: string }) =>
          Effect.sync(() => {
            lanes.push(spec.customerInstanceId)
            return { laneId: "lane-1", customerInstanceId: spec.customerInstanceId }
          }),
        exec: () => Effect.die("unused"),
        release: () => Effect.void,
        list: () => Effect.succeed([]),
        reapIdle: Effect.succeed([])
      }
      const inLane = defineTool({
        name: "shell",
        description: "Risky",
        parameters: Type.Object({ cmd: Type.String() }),
        riskClass: "exec",
        handler: (_args, ctx) => ({ lane: ctx.sandbox?.laneId ?? "host" })
      })
      const { runtime } = yield* makeHarness([inLane], { sandbox })
      const outcome = yield* runtime.invoke(call("shell", { cmd: "id" }))
      expect(outcome).toMatchObject({ _tag: "Succeeded", output: { lane: "lane-1" } })
      expect(outcome.invocation?.sandboxLaneId).toBe("lane-1")
      expect(lanes).toEqual(["acme"])
    })
  )

  it.effect("denies risky tools everywhere under riskyExecution: deny", () =>
    Effect.gen(function* () {
      const sandbox = {
        acquire: () => Effect.die("must not be called"),
        exec: () => Effect.die("unused"),
        release: () => Effect.void,
        list: () => Effect.succeed([]),
        reapIdle: Effect.succeed([])
      }
      const { runtime } = yield* makeHarness(tools, {
        sandbox,
        config: { tools: { riskyExecution: "deny" } }
      })
      expect((yield* runtime.invoke(call("shell", { cmd: "id" })))._tag).toBe("Denied")
    })
  )
})

describe("tool runtime: approvals", () => {
  it.effect("suspends a call that needs approval, then runs it once when approved", () =>
    Effect.gen(function* () {
      const { runtime, audit } = yield* makeHarness(tools)
      const request = call("pay", { invoice: "INV-7", amount: 120, iban: "DE89370400440532013000" })
      const first = yield* runtime.invoke(request)
      expect(first._tag).toBe("ApprovalRequired")
      if (first._tag !== "ApprovalRequired") return
      expect(first.approval.argsPreview).toEqual({ invoice: "INV-7", amount: 120, iban: "[REDACTED]" })
      expect(first.approval.argsHash).toBe(first.invocation.argsHash)

      const resolved = yield* runtime.resolveApproval("acme", {
        approvalId: first.approval.approvalId,
        actor: approver,
        environment: "production",
        outcome: "approved",
        reason: "invoice checked"
      })
      expect(resolved.status).toBe("approved")

      const second = yield* runtime.invoke({ ...request, approvalId: first.approval.approvalId })
      expect(second).toMatchObject({ _tag: "Succeeded", output: { paid: "INV-7", amount: 120 } })
      expect(second.decision.rationale).toContain(`satisfied by approval ${first.approval.approvalId}`)

      const replay = yield* runtime.invoke({ ...request, approvalId: first.approval.approvalId })
      expect(replay._tag).toBe("Denied")

      const kinds = (yield* audit.list("acme")).items.map((r) => r.kind)
      expect(kinds).toContain("approval_request")
      expect(kinds).toContain("approval_decision")
    })
  )

  it.effect("binds an approval to its arguments", () =>
    Effect.gen(function* () {
      const { runtime } = yield* makeHarness(tools)
      const request = call("pay", { invoice: "INV-1", amount: 10, iban: "X" })
      const first = yield* runtime.invoke(request)
      if (first._tag !== "ApprovalRequired") return expect.fail("expected an approval")
      yield* runtime.resolveApproval("acme", {
        approvalId: first.approval.approvalId,
        actor: approver,
        environment: "production",
        outcome: "approved"
      })
      const changed = yield* runtime.invoke({
        ...request,
        args: { invoice: "INV-1", amount: 10_000, iban: "X" },
        approvalId: first.approval.approvalId
      })
      expect(changed._tag).toBe("Denied")
    })
  )

  it.effect("lets only approvers resolve, and audits the refusal", () =>
    Effect.gen(function* () {
      const { runtime, audit } = yield* makeHarness(tools)
      const first = yield* runtime.invoke(call("pay", { invoice: "INV-2", amount: 1, iban: "X" }))
      if (first._tag !== "ApprovalRequired") return expect.fail("expected an approval")
      const error = yield* Effect.flip(
        runtime.resolveApproval("acme", {
          approvalId: first.approval.approvalId,
          actor: operator,
          environment: "production",
          outcome: "approved"
        })
      )
      expect(error.reason).toBe("forbidden")
      const decisions = (yield* audit.list("acme", { kinds: ["policy_decision"] })).items
      expect(decisions.at(-1)?.eventType).toBe("policy.deny")
    })
  )

  it.effect("cannot resolve another instance's approval", () =>
    Effect.gen(function* () {
      const { runtime } = yield* makeHarness(tools)
      const first = yield* runtime.invoke(call("pay", { invoice: "INV-3", amount: 1, iban: "X" }))
      if (first._tag !== "ApprovalRequired") return expect.fail("expected an approval")
      const error = yield* Effect.flip(
        runtime.resolveApproval("globex", {
          approvalId: first.approval.approvalId,
          actor: approver,
          environment: "production",
          outcome: "approved"
        })
      )
      expect(error.reason).toBe("not-found")
    })
  )

  it.effect("a denied approval denies the call", () =>
    Effect.gen(function* () {
      const { runtime } = yield* makeHarness(tools)
      const request = call("pay", { invoice: "INV-4", amount: 1, iban: "X" })
      const first = yield* runtime.invoke(request)
      if (first._tag !== "ApprovalRequired") return expect.fail("expected an approval")
      yield* runtime.resolveApproval("acme", {
        approvalId: first.approval.approvalId,
        actor: approver,
        environment: "production",
        outcome: "denied",
        reason: "no"
      })
      expect((yield* runtime.invoke({ ...request, approvalId: first.approval.approvalId }))._tag).toBe(
        "Denied"
      )
    })
  )
})

describe("tool runtime: budgets and rate limits", () => {
  it.effect("denies calls past the run's budget with a traced decision", () =>
    Effect.gen(function* () {
      const { runtime } = yield* makeHarness(tools, { limits: { maxToolCallsPerRun: 2 } })
      const request = call("echo", { text: "x" })
      expect((yield* runtime.invoke(request))._tag).toBe("Succeeded")
      expect((yield* runtime.invoke(request))._tag).toBe("Succeeded")
      const third = yield* runtime.invoke(request)
      expect(third._tag).toBe("Denied")
      expect(third.decision.decidingRule?.ruleId).toBe("runtime.tool-call-budget")
      expect(third.invocation?.policyDecisionId).toBe(third.decision.decisionId)
    })
  )

  it.effect("denies calls past the instance's rate limit", () =>
    Effect.gen(function* () {
      const { runtime } = yield* makeHarness(tools, {
        limits: { rateLimit: (ci) => (ci === "acme" ? { capacity: 1, perSecond: 0.001 } : undefined) }
      })
      expect((yield* runtime.invoke(call("echo", { text: "x" })))._tag).toBe("Succeeded")
      const limited = yield* runtime.invoke(call("echo", { text: "x" }))
      expect(limited.decision.decidingRule?.ruleId).toBe("runtime.rate-limit")
      expect(
        (yield* runtime.invoke(call("echo", { text: "x" }, { customerInstanceId: "globex" })))._tag
      ).toBe("Succeeded")
    })
  )
})
