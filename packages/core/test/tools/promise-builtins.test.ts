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

  it("exec refuses to run without a sandbox lane", async () => {
    const tool = exec(defaultConfig())
    await expect(
      Promise.resolve(tool.handler({ command: "id" }, { sandbox: undefined } as never))
    ).rejects.toThrow(/never runs on the host/)
  })
})
