import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import Type from "typebox"
import { defineTool } from "../../src/tools/ToolDefinition.js"
import { approver, call, makeHarness } from "./harness.js"

const SECRET = "sk-live-PLANTED-7f3a9c2e51"

// A handler that tries every way to leak the secret: output, log lines, error messages.
const secretive = defineTool({
  name: "secretive",
  description: "Uses a token",
  parameters: Type.Object({ mode: Type.String() }),
  secrets: ["API_TOKEN"],
  handler: ({ mode }: { mode: string }, ctx) => {
    const token = ctx.secrets.API_TOKEN!
    ctx.log("info", `calling upstream with ${token}`, {
      header: `Bearer ${token}`,
      b64: Buffer.from(token).toString("base64")
    })
    if (mode === "throw") throw new Error(`upstream rejected ${token}`)
    return { echoed: token, nested: [{ url: `https://api.test/?key=${encodeURIComponent(token)}` }] }
  }
})

describe("secrets never leak", () => {
  it.effect("a planted secret appears in no output, event, audit record or log line", () =>
    Effect.gen(function* () {
      const { runtime, audit, logs } = yield* makeHarness([secretive], {
        secrets: { acme: { API_TOKEN: SECRET } }
      })
      const outcomes = [
        yield* runtime.invoke(call("secretive", { mode: "return" })),
        yield* runtime.invoke(call("secretive", { mode: "throw" }))
      ]
      expect(outcomes.map((o) => o._tag)).toEqual(["Succeeded", "Failed"])
      const exported = yield* Stream.runCollect(audit.exportJsonl("acme"))
      const everything = JSON.stringify({ outcomes, logs, exported: [...exported] })
      expect(everything).not.toContain(SECRET)
      expect(everything).not.toContain(Buffer.from(SECRET).toString("base64"))
      expect(everything).toContain("[REDACTED]")
      expect(logs.length).toBeGreaterThan(0)
      const invocation = outcomes[0]?.invocation
      expect(invocation?.redactionMeta.secretsRedacted).toBeGreaterThan(0)
    })
  )

  it.effect("a rotated secret is scrubbed from the first call that receives it", () =>
    Effect.gen(function* () {
      const rotated = "sk-live-ROTATED-0b8d4e1f"
      const values: Record<string, Record<string, string>> = { acme: { API_TOKEN: SECRET } }
      const { runtime } = yield* makeHarness([secretive], { secrets: values })
      const before = yield* runtime.invoke(call("secretive", { mode: "return" }))
      values.acme = { API_TOKEN: rotated }
      const after = yield* runtime.invoke(call("secretive", { mode: "return" }))
      expect([before._tag, after._tag]).toEqual(["Succeeded", "Succeeded"])
      const everything = JSON.stringify([before, after])
      expect(everything).not.toContain(SECRET)
      expect(everything).not.toContain(rotated)
      expect(after.invocation?.redactionMeta.secretsRedacted).toBeGreaterThan(0)
    })
  )

  it.effect("a tool that did not declare a secret never receives it", () =>
    Effect.gen(function* () {
      const greedy = defineTool({
        name: "echo",
        description: "Wants secrets it did not declare",
        parameters: Type.Object({}),
        handler: (_args, ctx) => ({ keys: Object.keys(ctx.secrets) })
      })
      const { runtime } = yield* makeHarness([greedy], { secrets: { acme: { API_TOKEN: SECRET } } })
      expect(yield* runtime.invoke(call("echo", {}))).toMatchObject({
        _tag: "Succeeded",
        output: { keys: [] }
      })
    })
  )

  it.effect("a missing secret fails the call without running the handler", () =>
    Effect.gen(function* () {
      const { runtime } = yield* makeHarness([secretive])
      const outcome = yield* runtime.invoke(call("secretive", { mode: "return" }))
      expect(outcome).toMatchObject({ _tag: "Failed", errorCode: "SecretUnavailable" })
    })
  )
})

describe("100% of tool invocations link to a recorded policy decision", () => {
  it.effect("holds over a mixed workload", () =>
    Effect.gen(function* () {
      const tools = [
        defineTool({
          name: "echo",
          description: "ok",
          parameters: Type.Object({ n: Type.Number() }),
          handler: ({ n }: { n: number }) => n
        }),
        defineTool({
          name: "boom",
          description: "throws",
          parameters: Type.Object({}),
          handler: () => {
            throw new Error("x")
          }
        }),
        defineTool({
          name: "slow",
          description: "hangs",
          parameters: Type.Object({}),
          timeoutMs: 5,
          handler: () => new Promise(() => {})
        }),
        defineTool({
          name: "pay",
          description: "approval",
          parameters: Type.Object({ n: Type.Number() }),
          handler: () => "paid"
        }),
        defineTool({ name: "nope", description: "denied", parameters: Type.Object({}), handler: () => "x" })
      ]
      const { runtime, audit } = yield* makeHarness(tools, { limits: { maxToolCallsPerRun: 40 } })
      const run = call("echo", {})
      const plan = Array.from({ length: 60 }, (_, i) => {
        switch (i % 7) {
          case 0:
            return { toolName: "echo", args: { n: i } }
          case 1:
            return { toolName: "echo", args: { n: "bad" } }
          case 2:
            return { toolName: "boom", args: {} }
          case 3:
            return { toolName: "slow", args: {} }
          case 4:
            return { toolName: "pay", args: { n: i } }
          case 5:
            return { toolName: "nope", args: {} }
          default:
            return { toolName: "missing", args: {} }
        }
      })
      const tags = new Set<string>()
      for (const step of plan) {
        const outcome = yield* runtime.invoke({ ...run, ...step })
        tags.add(outcome._tag)
        if (outcome._tag === "ApprovalRequired" && step.args.n === 4) {
          yield* runtime.resolveApproval("acme", {
            approvalId: outcome.approval.approvalId,
            actor: approver,
            environment: "production",
            outcome: "approved"
          })
          tags.add((yield* runtime.invoke({ ...run, ...step, approvalId: outcome.approval.approvalId }))._tag)
        }
      }
      expect([...tags].sort()).toEqual([
        "ApprovalRequired",
        "Denied",
        "Failed",
        "InvalidArguments",
        "Succeeded"
      ])

      const all = []
      let cursor: string | undefined
      do {
        const page = yield* audit.list("acme", { limit: 1000, ...(cursor ? { cursor } : {}) })
        all.push(...page.items)
        cursor = page.nextCursor
      } while (cursor)
      const decisionIds = new Set(all.filter((r) => r.kind === "policy_decision").map((r) => r.decisionId))
      const invocations = all.filter((r) => r.kind === "tool_invocation")
      expect(invocations.length).toBeGreaterThan(50)
      const unlinked = invocations.filter(
        (r) => !decisionIds.has((r.payload as { policyDecisionId: string }).policyDecisionId)
      )
      expect(unlinked).toEqual([])
      expect((yield* audit.verify("acme")).ok).toBe(true)
    })
  )
})
