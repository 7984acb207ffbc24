import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { defaultConfig } from "../../src/config/index.js"
import { exec, webFetch } from "../../src/tools/builtins.js"
import { toPromise } from "../../src/tools/promise.js"
import { call, makeHarness } from "./harness.js"

describe("Promise API", () => {
  it("invokes and rejects with the same typed errors", async () => {
    const { runtime } = await Effect.runPromise(makeHarness([webFetch()]))
    const tools = toPromise(runtime)
    expect(tools.describe().map((t) => t.name)).toEqual(["web_fetch"])
    const outcome = await tools.invoke(call("web_fetch", { url: 42 }))
    expect(outcome._tag).toBe("InvalidArguments")
    await expect(
      tools.resolveApproval("acme", {
        approvalId: "01a2f3b4-0000-7000-8000-000000000000",
        actor: { kind: "user", id: "x", roles: [] },
        environment: "production",
        outcome: "approved"
      })
    ).rejects.toMatchObject({ _tag: "@bga/core/ApprovalResolveError", reason: "not-found" })
  })
})

describe("built-in tools", () => {
  it("web_fetch is a read tool in group:web, exec is a risky exec tool", () => {
    expect(webFetch()).toMatchObject({
      name: "web_fetch",
      riskClass: "read",
      groups: ["group:web"],
      idempotent: true
    })
    expect(exec(defaultConfig())).toMatchObject({ name: "exec", riskClass: "exec", idempotent: false })
  })

  it("exec never runs without a sandbox lane: denied by policy before its handler", async () => {
    const { runtime } = await Effect.runPromise(makeHarness([exec(defaultConfig())]))
    const outcome = await toPromise(runtime).invoke(call("exec", { command: "id" }))
    expect(outcome._tag).toBe("Denied")
    expect(outcome.invocation?.outcome).toBe("denied")
  })
})
