import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import {
  generatePromise,
  ModelError,
  ModelPort,
  type ModelRequest,
  type ModelResponse
} from "../../src/model/index.js"
import { ScriptedModel } from "../../src/testing/index.js"
import { hello } from "./fixtures.js"

const run = (effect: Effect.Effect<ModelResponse, ModelError>) => Effect.runPromise(effect)
const failure = (effect: Effect.Effect<ModelResponse, ModelError>) => Effect.runPromise(Effect.flip(effect))

describe("ScriptedModel", () => {
  it("replays its steps in order, with deterministic call ids and finish reasons", async () => {
    const model = ScriptedModel.make([
      {
        toolCalls: [
          { name: "crm.lookup", args: { email: "a@example.com" } },
          { name: "crm.note", id: "mine" }
        ]
      },
      { text: "The customer is on the gold plan." }
    ])
    const first = await run(model.generate(hello))
    expect(first.toolCalls).toEqual([
      { id: "call_0_0", name: "crm.lookup", args: { email: "a@example.com" } },
      { id: "mine", name: "crm.note", args: {} }
    ])
    expect([first.text, first.finishReason, first.model]).toEqual(["", "tool-calls", "scripted/model"])
    const second = await run(model.generate(hello))
    expect([second.text, second.toolCalls, second.finishReason]).toEqual([
      "The customer is on the gold plan.",
      [],
      "stop"
    ])
    expect(model.remaining).toBe(0)
  })

  it("reports deterministic usage that grows with the conversation, or the usage it was given", async () => {
    const model = ScriptedModel.make([
      { text: "a" },
      { text: "a" },
      { text: "b", usage: { inputTokens: 1000 } }
    ])
    const short = await run(model.generate(hello))
    // "hello" -> 405 characters: about a hundred more tokens at four characters a token.
    const long = await run(model.generate({ ...hello, messages: [{ role: "user", text: "x".repeat(405) }] }))
    expect(short.usage.inputTokens).toBeGreaterThan(0)
    expect(long.usage.inputTokens - short.usage.inputTokens).toBe(100)
    expect(short.usage.outputTokens).toBe(long.usage.outputTokens)
    const given = await run(model.generate(hello))
    expect(given.usage.inputTokens).toBe(1000)
    // The same script gives the same numbers on a second model: runs are reproducible.
    const again = ScriptedModel.make([{ text: "a" }])
    expect((await run(again.generate(hello))).usage).toEqual(short.usage)
  })

  it("answers a step with a function of the request", async () => {
    const model = ScriptedModel.make([
      (request, step) => ({ text: `step ${step} saw ${request.messages.length} message(s)` })
    ])
    expect((await run(model.generate(hello))).text).toBe("step 0 saw 1 message(s)")
  })

  it("with a function script answers every step, e.g. the same behaviour for many runs", async () => {
    const model = ScriptedModel.make((request: ModelRequest) =>
      request.messages.some((m) => m.role === "tool")
        ? { text: "done" }
        : { toolCalls: [{ name: "crm.lookup", args: { id: 1 } }] }
    )
    const withTool: ModelRequest = {
      ...hello,
      messages: [
        ...hello.messages,
        { role: "tool", toolCallId: "c", toolName: "crm.lookup", result: 1, isError: false }
      ]
    }
    for (let i = 0; i < 3; i++) {
      expect((await run(model.generate(hello))).toolCalls).toHaveLength(1)
      expect((await run(model.generate(withTool))).text).toBe("done")
    }
    expect(model.remaining).toBe(Number.POSITIVE_INFINITY)
  })

  it("reads scripted argument text like a provider's: malformed JSON becomes a call whose args failed to parse", async () => {
    const model = ScriptedModel.make([{ toolCalls: [{ name: "orders.refund", argsText: '{"amount": 10' }] }])
    const [call] = (await run(model.generate(hello))).toolCalls
    expect(call?.args).toBeNull()
    expect(call?.argsError?.reason).toBe("malformed-json")
    expect(call?.argsError?.text).toBe('{"amount": 10')
  })

  it("fails clearly with reason script-exhausted when asked for more steps than it holds", async () => {
    const model = ScriptedModel.make([{ text: "only one" }], { name: "scripted/demo" })
    await run(model.generate(hello))
    const error = await failure(model.generate(hello))
    expect(error).toBeInstanceOf(ModelError)
    expect(error.reason).toBe("script-exhausted")
    expect(error.message).toMatch(
      /model scripted\/demo step failed \(script-exhausted\): the script has 1 steps and step 2/
    )
    expect(error.message).toMatch(/"hello"/)
  })

  it("fails a step that scripts an error, as a provider would", async () => {
    const model = ScriptedModel.make([
      { error: "rate-limited" },
      { error: new ModelError({ reason: "provider", detail: "503", retryable: true }) }
    ])
    const limited = await failure(model.generate(hello))
    expect([limited.reason, limited.retryable]).toEqual(["rate-limited", true])
    expect((await failure(model.generate(hello))).detail).toBe("503")
  })

  it("records every request it was asked", async () => {
    const model = ScriptedModel.make([{ text: "a" }])
    await run(model.generate(hello))
    await failure(model.generate({ ...hello, system: "second" }))
    expect(model.requests.map((r) => r.system)).toEqual([undefined, "second"])
  })
})

describe("ScriptedModel: cancellation", () => {
  it("waits a step's delay, and an abort interrupts the wait with reason aborted", async () => {
    const model = ScriptedModel.make([{ text: "slow", delayMs: 10_000 }])
    const controller = new AbortController()
    const started = Date.now()
    setTimeout(() => controller.abort(new Error("cancelled by operator")), 20)
    const error = await failure(model.generate({ ...hello, signal: controller.signal }))
    expect(error.reason).toBe("aborted")
    expect(error.detail).toBe("cancelled by operator")
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it("answers after the delay when nothing aborts", async () => {
    const model = ScriptedModel.make([{ text: "slow", delayMs: 30 }])
    const started = Date.now()
    expect((await run(model.generate(hello))).text).toBe("slow")
    expect(Date.now() - started).toBeGreaterThanOrEqual(25)
  })

  it("fails at once when the signal has already fired", async () => {
    const model = ScriptedModel.make([{ text: "never" }])
    expect((await failure(model.generate({ ...hello, signal: AbortSignal.abort() }))).reason).toBe("aborted")
  })

  it.live("stops waiting when its fiber is interrupted", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make([{ text: "slow", delayMs: 10_000 }])
      const started = Date.now()
      const fiber = yield* Effect.forkChild(model.generate(hello))
      yield* Effect.sleep("20 millis")
      yield* Fiber.interrupt(fiber)
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(Date.now() - started).toBeLessThan(2_000)
    })
  )
})

describe("ScriptedModel: APIs", () => {
  it.effect("is provided as the ModelPort service by its layer", () =>
    Effect.gen(function* () {
      const model = yield* ModelPort
      expect((yield* model.generate(hello)).text).toBe("from a layer")
    }).pipe(Effect.provide(ScriptedModel.layer([{ text: "from a layer" }])))
  )

  it("works with the Promise API", async () => {
    const model = ScriptedModel.make([{ text: "promised" }])
    expect((await generatePromise(model, hello)).text).toBe("promised")
    await expect(generatePromise(model, hello)).rejects.toMatchObject({ reason: "script-exhausted" })
  })
})
