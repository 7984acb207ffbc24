import {
  APICallError,
  InvalidPromptError,
  type LanguageModelV4CallOptions,
  type LanguageModelV4GenerateResult
} from "@ai-sdk/provider"
import { describe, expect, it } from "@effect/vitest"
import { MockLanguageModelV3, MockLanguageModelV4 } from "ai/test"
import { Effect, Exit, Layer } from "effect"
import fc from "fast-check"
import {
  AiSdkModel,
  generatePromise,
  ModelError,
  ModelPort,
  type ModelRequest,
  type ModelResponse
} from "../../src/model/index.js"
import { hello, v2Model, v3Result, v4Result } from "./fixtures.js"

const run = (effect: Effect.Effect<ModelResponse, ModelError>) => Effect.runPromise(effect)
const fail = async (effect: Effect.Effect<ModelResponse, ModelError>): Promise<ModelError> => {
  const exit = await Effect.runPromiseExit(Effect.flip(effect))
  if (Exit.isFailure(exit)) throw new Error("expected a ModelError, got a defect or interruption")
  return exit.value
}

const v4 = (
  result:
    | LanguageModelV4GenerateResult
    | ((o: LanguageModelV4CallOptions) => Promise<LanguageModelV4GenerateResult>)
) =>
  new MockLanguageModelV4({
    provider: "acme-ai",
    modelId: "m-4",
    doGenerate: typeof result === "function" ? result : async () => result
  })

const conversation: ModelRequest = {
  system: "You are the billing agent of Acme.",
  messages: [
    { role: "user", text: "Refund order 42" },
    {
      role: "assistant",
      text: "Looking it up.",
      toolCalls: [
        { id: "c1", name: "orders.lookup", args: { orderId: 42 } },
        {
          id: "c2",
          name: "orders.refund",
          args: null,
          argsError: { reason: "malformed-json", message: "bad", text: "{" }
        }
      ]
    },
    { role: "tool", toolCallId: "c1", toolName: "orders.lookup", result: { status: "paid" }, isError: false },
    {
      role: "tool",
      toolCallId: "c2",
      toolName: "orders.refund",
      result: "arguments are not JSON",
      isError: true
    },
    { role: "assistant", text: "Trying again.", toolCalls: [{ id: "c3", name: "orders.note", args: ["x"] }] },
    { role: "tool", toolCallId: "c3", toolName: "orders.note", result: "noted", isError: false },
    { role: "tool", toolCallId: "c4", toolName: "orders.note", result: ["a"], isError: true }
  ],
  tools: [
    {
      name: "orders.lookup",
      description: "Find an order",
      parameters: { type: "object", properties: { orderId: { type: "integer" } }, required: ["orderId"] }
    }
  ],
  toolChoice: "auto",
  maxOutputTokens: 256
}

describe("AiSdkModel: request translation", () => {
  it("sends the system prompt, conversation, tools, tool choice and output limit in the AI SDK prompt format", async () => {
    const model = v4(v4Result([{ type: "text", text: "done" }]))
    await run(AiSdkModel.make(model).generate(conversation))
    const sent = model.doGenerateCalls[0]!
    expect(sent.prompt).toEqual([
      { role: "system", content: "You are the billing agent of Acme." },
      { role: "user", content: [{ type: "text", text: "Refund order 42" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Looking it up." },
          { type: "tool-call", toolCallId: "c1", toolName: "orders.lookup", input: { orderId: 42 } },
          // Unreadable arguments are replayed as {} (providers such as Anthropic require an object).
          { type: "tool-call", toolCallId: "c2", toolName: "orders.refund", input: {} }
        ]
      },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: "c1",
            toolName: "orders.lookup",
            output: { type: "json", value: { status: "paid" } }
          },
          {
            type: "tool-result",
            toolCallId: "c2",
            toolName: "orders.refund",
            output: { type: "error-text", value: "arguments are not JSON" }
          }
        ]
      },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Trying again." },
          { type: "tool-call", toolCallId: "c3", toolName: "orders.note", input: {} }
        ]
      },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: "c3",
            toolName: "orders.note",
            output: { type: "text", value: "noted" }
          },
          {
            type: "tool-result",
            toolCallId: "c4",
            toolName: "orders.note",
            output: { type: "error-json", value: ["a"] }
          }
        ]
      }
    ])
    expect(sent.tools).toEqual([
      {
        type: "function",
        name: "orders.lookup",
        description: "Find an order",
        inputSchema: { type: "object", properties: { orderId: { type: "integer" } }, required: ["orderId"] }
      }
    ])
    expect(sent.toolChoice).toEqual({ type: "auto" })
    expect(sent.maxOutputTokens).toBe(256)
  })

  it("sends no tools and no tool choice when the step has no tools, and passes call settings through", async () => {
    const model = v4(v4Result([{ type: "text", text: "hi" }]))
    await run(
      AiSdkModel.make(model, {
        settings: { temperature: 0, seed: 7, headers: { "x-team": "billing" } }
      }).generate(hello)
    )
    const sent = model.doGenerateCalls[0]!
    expect(sent.tools).toBeUndefined()
    expect(sent.toolChoice).toBeUndefined()
    expect([sent.temperature, sent.seed, sent.headers]).toEqual([0, 7, { "x-team": "billing" }])
  })

  it("asks for a final answer with toolChoice none", async () => {
    const model = v4(v4Result([{ type: "text", text: "final" }]))
    await run(AiSdkModel.make(model).generate({ ...conversation, toolChoice: "none" }))
    expect(model.doGenerateCalls[0]?.toolChoice).toEqual({ type: "none" })
  })
})

describe("AiSdkModel: response translation", () => {
  it("reads text, tool calls with parsed arguments, the finish reason, usage and the answering model (v4)", async () => {
    const model = v4(
      v4Result(
        [
          { type: "reasoning", text: "thinking" },
          { type: "text", text: "Let me " },
          { type: "text", text: "check." },
          { type: "tool-call", toolCallId: "t1", toolName: "orders.lookup", input: '{"orderId":42}' }
        ],
        { response: { modelId: "m-4-2026" } }
      )
    )
    const response = await run(AiSdkModel.make(model).generate(hello))
    expect(response).toEqual({
      text: "Let me check.",
      toolCalls: [{ id: "t1", name: "orders.lookup", args: { orderId: 42 } }],
      finishReason: "tool-calls",
      usage: { inputTokens: 120, outputTokens: 30 },
      model: "acme-ai/m-4-2026"
    })
  })

  it("turns malformed argument text into a call whose args failed to parse, never a failure", async () => {
    const model = v4(
      v4Result([
        { type: "tool-call", toolCallId: "t1", toolName: "orders.refund", input: '{"orderId": 42' },
        {
          type: "tool-call",
          toolCallId: "t2",
          toolName: "orders.refund",
          input: `${"[".repeat(40)}${"]".repeat(40)}`
        },
        {
          type: "tool-call",
          toolCallId: "t3",
          toolName: "orders.refund",
          input: '{"__proto__": {"admin": true}}'
        }
      ])
    )
    const response = await run(AiSdkModel.make(model).generate(hello))
    expect(response.toolCalls.map((c) => [c.id, c.args, c.argsError?.reason])).toEqual([
      ["t1", null, "malformed-json"],
      ["t2", null, "too-deep"],
      ["t3", null, "forbidden-key"]
    ])
    expect(response.toolCalls[0]?.argsError?.text).toBe('{"orderId": 42')
    expect(response.toolCalls[0]?.argsError?.message).toMatch(/arguments of tool call orders.refund/)
  })

  it("reads blank argument text as {} (tools without parameters)", async () => {
    const model = v4(v4Result([{ type: "tool-call", toolCallId: "t1", toolName: "clock.now", input: "" }]))
    const response = await run(AiSdkModel.make(model).generate(hello))
    expect(response.toolCalls).toEqual([{ id: "t1", name: "clock.now", args: {} }])
  })

  it("leaves out tool calls the provider executed itself (BGA cannot govern them)", async () => {
    const model = v4(
      v4Result([
        { type: "tool-call", toolCallId: "p1", toolName: "web_search", input: "{}", providerExecuted: true },
        { type: "tool-result", toolCallId: "p1", toolName: "web_search", result: { hits: 1 } },
        { type: "text", text: "found it" }
      ])
    )
    const response = await run(AiSdkModel.make(model).generate(hello))
    expect(response.toolCalls).toEqual([])
    expect(response.text).toBe("found it")
  })

  it("mints an id for a tool call that came without one (some OpenAI-compatible servers)", async () => {
    const model = v4(v4Result([{ type: "tool-call", toolCallId: "", toolName: "clock.now", input: "{}" }]))
    const response = await run(AiSdkModel.make(model).generate(hello))
    expect(response.toolCalls[0]?.id).toMatch(/^call_[0-9a-f-]{36}$/)
  })

  it("counts the parts of usage when a provider leaves the totals out", async () => {
    const model = v4(
      v4Result([{ type: "text", text: "x" }], {
        usage: {
          inputTokens: { total: undefined, noCache: 8, cacheRead: 2, cacheWrite: undefined },
          outputTokens: { total: undefined, text: undefined, reasoning: undefined }
        }
      })
    )
    const response = await run(AiSdkModel.make(model).generate(hello))
    expect(response.usage).toEqual({ inputTokens: 10, outputTokens: 0 })
  })

  it("maps the v4 finish reason 'interrupted' and unknown reasons to 'other'", async () => {
    const interrupted = v4(v4Result([], { finishReason: { unified: "interrupted", raw: undefined } }))
    expect((await run(AiSdkModel.make(interrupted).generate(hello))).finishReason).toBe("interrupted")
    const odd = v4(v4Result([], { finishReason: { unified: "sparkles" as "other", raw: "sparkles" } }))
    expect((await run(AiSdkModel.make(odd).generate(hello))).finishReason).toBe("other")
  })

  it("refuses a result that breaks the specification with reason invalid-response", async () => {
    const broken = v4(async () => ({ content: "nope" }) as unknown as LanguageModelV4GenerateResult)
    const error = await fail(AiSdkModel.make(broken).generate(hello))
    expect(error.reason).toBe("invalid-response")
    expect(error.message).toMatch(/acme-ai\/m-4.*no content array/)
    const badCall = v4(
      v4Result([{ type: "tool-call", toolCallId: "t", toolName: 7 as unknown as string, input: "{}" }])
    )
    expect((await fail(AiSdkModel.make(badCall).generate(hello))).detail).toMatch(/no tool name/)
  })

  it("never throws, whatever content a provider returns", async () => {
    const part = fc.oneof(
      fc.record({ type: fc.constant("text"), text: fc.oneof(fc.string(), fc.integer()) }),
      fc.record({
        type: fc.constant("tool-call"),
        toolCallId: fc.oneof(fc.string(), fc.constant(undefined)),
        toolName: fc.oneof(fc.string(), fc.constant(null)),
        input: fc.oneof(fc.string(), fc.json(), fc.jsonValue())
      }),
      fc.anything()
    )
    await fc.assert(
      fc.asyncProperty(fc.array(part, { maxLength: 6 }), fc.anything(), async (content, usage) => {
        const model = v4(
          async () => ({ ...v4Result([]), content, usage }) as unknown as LanguageModelV4GenerateResult
        )
        const exit = await Effect.runPromiseExit(AiSdkModel.make(model).generate(hello))
        if (Exit.isFailure(exit)) {
          const error = await fail(AiSdkModel.make(model).generate(hello))
          expect(error.reason).toBe("invalid-response")
        } else {
          expect(Number.isInteger(exit.value.usage.inputTokens)).toBe(true)
          for (const call of exit.value.toolCalls)
            expect(call.argsError === undefined || call.args === null).toBe(true)
        }
      }),
      { numRuns: 150 }
    )
  })
})

describe("AiSdkModel: specification versions", () => {
  it("supports v3 models (nested usage, finish reason object)", async () => {
    const model = new MockLanguageModelV3({
      provider: "p3",
      modelId: "m-3",
      doGenerate: async () =>
        v3Result([{ type: "tool-call", toolCallId: "a", toolName: "crm.find", input: '{"q":"x"}' }], {
          finishReason: { unified: "tool-calls", raw: "tool_use" }
        })
    })
    const response = await run(AiSdkModel.make(model).generate(conversation))
    expect(response).toEqual({
      text: "",
      toolCalls: [{ id: "a", name: "crm.find", args: { q: "x" } }],
      finishReason: "tool-calls",
      usage: { inputTokens: 11, outputTokens: 7 },
      model: "p3/m-3"
    })
    expect(model.doGenerateCalls[0]?.prompt[0]).toEqual({
      role: "system",
      content: "You are the billing agent of Acme."
    })
  })

  it("supports v2 models (flat usage, string finish reason, 'unknown' read as 'other')", async () => {
    const model = v2Model(() => ({
      content: [
        { type: "text", text: "v2 says hi" },
        { type: "tool-call", toolCallId: "z", toolName: "crm.find", input: "{oops" }
      ],
      finishReason: "unknown",
      usage: { inputTokens: 5, outputTokens: undefined, totalTokens: 5 },
      warnings: []
    }))
    const response = await run(AiSdkModel.make(model).generate(conversation))
    expect(response.text).toBe("v2 says hi")
    expect(response.finishReason).toBe("other")
    expect(response.usage).toEqual({ inputTokens: 5, outputTokens: 0 })
    expect(response.toolCalls[0]?.argsError?.reason).toBe("malformed-json")
    expect(response.model).toBe("legacy/v2-model")
    expect(model.calls[0]?.prompt.at(-1)?.role).toBe("tool")
  })

  it("refuses at construction anything that is not a v2, v3 or v4 language model", async () => {
    const v1 = { specificationVersion: "v1", provider: "old", modelId: "m", doGenerate: async () => ({}) }
    expect(() => AiSdkModel.make(v1 as never)).toThrow(ModelError)
    expect(() => AiSdkModel.make("gpt-4o" as never)).toThrow(/specification v2, v3 or v4/)
    const exit = await Effect.runPromiseExit(
      Effect.provide(Effect.service(ModelPort), AiSdkModel.layer({ specificationVersion: "v4" } as never))
    )
    expect(Exit.isFailure(exit)).toBe(true)
    const error = await Effect.runPromise(
      Effect.flip(Effect.provide(Effect.service(ModelPort), AiSdkModel.layer(v1 as never)))
    )
    expect(error.reason).toBe("unsupported-model")
  })
})

describe("AiSdkModel: cancellation", () => {
  it("passes an AbortSignal to the provider that fires when the request's signal does", async () => {
    const controller = new AbortController()
    let seen: AbortSignal | undefined
    const model = v4(async (options) => {
      seen = options.abortSignal
      return v4Result([{ type: "text", text: "ok" }])
    })
    await run(AiSdkModel.make(model).generate({ ...hello, signal: controller.signal }))
    expect(seen?.aborted).toBe(false)
    controller.abort(new Error("operator cancelled"))
    expect(seen?.aborted).toBe(true)
  })

  it("fails with reason aborted as soon as the signal fires, even when the provider ignores it", async () => {
    const controller = new AbortController()
    const model = v4(() => new Promise(() => {}))
    const started = Date.now()
    setTimeout(() => controller.abort(new Error("run cancelled by u-7")), 20)
    const error = await fail(AiSdkModel.make(model).generate({ ...hello, signal: controller.signal }))
    expect(error.reason).toBe("aborted")
    expect(error.retryable).toBe(false)
    expect(error.detail).toBe("run cancelled by u-7")
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it("does not call the provider when the signal has already fired", async () => {
    const model = v4(v4Result([{ type: "text", text: "never" }]))
    const error = await fail(AiSdkModel.make(model).generate({ ...hello, signal: AbortSignal.abort() }))
    expect(error.reason).toBe("aborted")
    expect(model.doGenerateCalls).toHaveLength(0)
  })

  it.live("aborts the provider call when the fiber is interrupted", () =>
    Effect.gen(function* () {
      let seen: AbortSignal | undefined
      const model = v4((options) => {
        seen = options.abortSignal
        return new Promise(() => {})
      })
      const exit = yield* Effect.exit(
        AiSdkModel.make(model).generate(hello).pipe(Effect.timeout("30 millis"))
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(seen?.aborted).toBe(true)
    })
  )
})

describe("AiSdkModel: provider failures", () => {
  const apiError = (statusCode: number, isRetryable?: boolean) =>
    new APICallError({
      message: `HTTP ${statusCode}`,
      url: "https://api.example.com/v1/chat",
      requestBodyValues: {},
      statusCode,
      ...(isRetryable === undefined ? {} : { isRetryable })
    })
  const cases: ReadonlyArray<[string, unknown, ModelError["reason"], boolean, number | undefined]> = [
    ["HTTP 429", apiError(429), "rate-limited", true, 429],
    ["HTTP 408", apiError(408), "timeout", true, 408],
    ["HTTP 400", apiError(400), "invalid-request", false, 400],
    ["HTTP 401", apiError(401), "provider", false, 401],
    ["HTTP 503 marked retryable", apiError(503, true), "provider", true, 503],
    [
      "an invalid prompt",
      new InvalidPromptError({ prompt: [], message: "empty" }),
      "invalid-request",
      false,
      undefined
    ],
    [
      "a fetch timeout",
      Object.assign(new Error("timed out"), { name: "TimeoutError" }),
      "timeout",
      true,
      undefined
    ],
    ["anything else", new Error("socket hang up"), "provider", false, undefined],
    ["a non-error value", "boom", "provider", false, undefined]
  ]
  it.each(cases)("classifies %s", async (_name, thrown, reason, retryable, statusCode) => {
    const model = v4(() => Promise.reject(thrown))
    const error = await fail(AiSdkModel.make(model).generate(hello))
    expect([error.reason, error.retryable, error.statusCode]).toEqual([reason, retryable, statusCode])
    expect(error.model).toBe("acme-ai/m-4")
  })

  it("classifies a provider that throws synchronously", async () => {
    const model = v4(v4Result([]))
    model.doGenerate = () => {
      throw new Error("sync failure")
    }
    expect((await fail(AiSdkModel.make(model).generate(hello))).detail).toBe("sync failure")
  })
})

describe("AiSdkModel: APIs", () => {
  it.effect("is provided as the ModelPort service by its layer", () =>
    Effect.gen(function* () {
      const model = yield* ModelPort
      const response = yield* model.generate(hello)
      expect(model.name).toBe("acme-ai/m-4")
      expect(response.text).toBe("layered")
    }).pipe(Effect.provide(AiSdkModel.layer(v4(v4Result([{ type: "text", text: "layered" }])))))
  )

  it("has a Promise API that resolves with the response and rejects with the ModelError itself", async () => {
    const ok = AiSdkModel.make(v4(v4Result([{ type: "text", text: "promised" }])))
    expect((await generatePromise(ok, hello)).text).toBe("promised")
    const broken = AiSdkModel.make(v4(() => Promise.reject(apiErrorFor429())))
    await expect(generatePromise(broken, hello)).rejects.toBeInstanceOf(ModelError)
    await expect(generatePromise(broken, hello)).rejects.toMatchObject({ reason: "rate-limited" })
  })

  it("can be composed with Layer like any port", async () => {
    const program = Effect.flatMap(Effect.service(ModelPort), (m) => m.generate(hello))
    const live = Layer.succeed(ModelPort, AiSdkModel.make(v4(v4Result([{ type: "text", text: "x" }]))))
    expect((await Effect.runPromise(Effect.provide(program, live))).text).toBe("x")
  })
})

const apiErrorFor429 = () =>
  new APICallError({
    message: "slow down",
    url: "https://api.example.com",
    requestBodyValues: {},
    statusCode: 429
  })
