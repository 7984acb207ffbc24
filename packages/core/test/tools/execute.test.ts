import Type from "typebox"
import { describe, expect, it } from "vitest"
import { capOutput, executeHandler } from "../../src/tools/internal/execute.js"
import { defineTool, type ToolContext } from "../../src/tools/ToolDefinition.js"

const context: Omit<ToolContext, "signal"> = {
  customerInstanceId: "acme",
  runId: "r",
  invocationId: "i",
  fetch: () => Promise.reject(new Error("no egress in this test")),
  sandbox: undefined,
  secrets: { API_KEY: "sk-live-0123456789" },
  log: () => {}
}
const tool = (
  handler: (args: unknown, ctx: ToolContext) => unknown,
  options: { timeoutMs?: number; maxOutputBytes?: number } = {}
) => defineTool({ name: "t", description: "t", parameters: Type.Object({}), handler, ...options })

describe("executing a handler", () => {
  it("returns the handler's output", async () => {
    const result = await executeHandler(
      tool(() => ({ ok: 1 })),
      {},
      context,
      undefined
    )
    expect(result).toEqual({ _tag: "Succeeded", output: { ok: 1 }, truncated: false, secretsRedacted: 0 })
  })

  it("answers a synchronous handler synchronously, with no timer to wait for", () => {
    const result = executeHandler(
      tool(() => ({ ok: 1 })),
      {},
      context,
      undefined
    )
    expect(result).not.toBeInstanceOf(Promise)
    expect(result).toEqual({ _tag: "Succeeded", output: { ok: 1 }, truncated: false, secretsRedacted: 0 })
  })

  it("reports a run its handler cancelled while it ran as cancelled", async () => {
    const parent = new AbortController()
    let seen: boolean | undefined
    const result = await executeHandler(
      tool((_, ctx) => {
        parent.abort(new Error("stop"))
        seen = ctx.signal.aborted
        return { ok: 1 }
      }),
      {},
      context,
      parent.signal
    )
    expect(result).toMatchObject({ _tag: "Failed", outcome: "cancelled" })
    expect(seen).toBe(false)
  })

  it("counts the synchronous part of an asynchronous handler against its timeout", async () => {
    const result = await executeHandler(
      tool(
        () => {
          const until = Date.now() + 60
          while (Date.now() < until) {
            // Busy for longer than the timeout before handing back a promise that settles soon.
          }
          return new Promise((resolve) => setTimeout(() => resolve({ late: true }), 30))
        },
        { timeoutMs: 50 }
      ),
      {},
      context,
      undefined
    )
    expect(result).toMatchObject({ _tag: "Failed", outcome: "timed_out" })
  })

  it("cuts a handler that hangs at its timeout, even if it ignores the signal", async () => {
    const result = await executeHandler(
      tool(() => new Promise(() => {}), { timeoutMs: 50 }),
      {},
      context,
      undefined
    )
    expect(result).toMatchObject({ _tag: "Failed", outcome: "timed_out" })
  })

  it("aborts the handler's signal on timeout", async () => {
    let aborted = false
    await executeHandler(
      tool(
        (_, ctx) =>
          new Promise((resolve) =>
            ctx.signal.addEventListener("abort", () => {
              aborted = true
              resolve(undefined)
            })
          ),
        { timeoutMs: 30 }
      ),
      {},
      context,
      undefined
    )
    expect(aborted).toBe(true)
  })

  it("reports cancellation when the run is cancelled mid-call", async () => {
    const parent = new AbortController()
    setTimeout(() => parent.abort(new Error("cancelled by operator")), 20)
    const result = await executeHandler(
      tool(() => new Promise(() => {}), { timeoutMs: 5_000 }),
      {},
      context,
      parent.signal
    )
    expect(result).toMatchObject({ _tag: "Failed", outcome: "cancelled" })
  })

  it("turns a throwing handler into a typed failure without the secret in the message", async () => {
    const result = await executeHandler(
      tool((_, ctx) => {
        throw new TypeError(`upstream said no to ${ctx.secrets.API_KEY}`)
      }),
      {},
      context,
      undefined
    )
    expect(result).toMatchObject({
      _tag: "Failed",
      outcome: "failed",
      errorCode: "TypeError",
      secretsRedacted: 1
    })
    expect(JSON.stringify(result)).not.toContain("sk-live-0123456789")
  })

  it("scrubs secrets out of the output", async () => {
    const result = await executeHandler(
      tool((_, ctx) => ({ echoed: `key=${ctx.secrets.API_KEY}` })),
      {},
      context,
      undefined
    )
    expect(JSON.stringify(result)).not.toContain("sk-live-0123456789")
    expect(result).toMatchObject({ _tag: "Succeeded", secretsRedacted: 1 })
  })

  it("caps oversized output and says so", async () => {
    const result = await executeHandler(
      tool(() => "x".repeat(10_000), { maxOutputBytes: 1_000 }),
      {},
      context,
      undefined
    )
    expect(result).toMatchObject({ _tag: "Succeeded", truncated: true })
    if (result._tag === "Succeeded") {
      expect(Buffer.byteLength(String(result.output))).toBeLessThanOrEqual(1_000)
      expect(String(result.output)).toContain("[output truncated: 10000 bytes, limit 1000]")
    }
  })
})

describe("capOutput", () => {
  it("never splits a multi-byte character", () => {
    const { output, truncated } = capOutput("é".repeat(1000), 200)
    expect(truncated).toBe(true)
    expect(String(output)).not.toContain("\uFFFD")
  })

  it("keeps output at the limit untouched", () => {
    expect(capOutput("abc", 5)).toEqual({ output: "abc", truncated: false })
  })
})

describe("a run cancelled before the call", () => {
  it("never calls the handler", async () => {
    let called = false
    const parent = new AbortController()
    parent.abort(new Error("cancelled by operator"))
    const result = await executeHandler(
      tool(() => {
        called = true
        return "side effect"
      }),
      {},
      context,
      parent.signal
    )
    expect(result).toMatchObject({ _tag: "Failed", outcome: "cancelled" })
    expect(called).toBe(false)
  })

  it("scrubs secrets out of the error code too", async () => {
    const result = await executeHandler(
      tool((_, ctx) => {
        const error = new Error("x")
        error.name = `Err_${ctx.secrets.API_KEY}`
        throw error
      }),
      {},
      context,
      undefined
    )
    expect(JSON.stringify(result)).not.toContain("sk-live-0123456789")
  })
})
