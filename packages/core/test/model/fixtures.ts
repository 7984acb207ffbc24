import type {
  LanguageModelV2,
  LanguageModelV2CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV4GenerateResult
} from "@ai-sdk/provider"
import type { ModelRequest } from "../../src/model/index.js"

/** A v4/v3 generate result with the given content (usage and finish reason in their nested form). */
export const v4Result = (
  content: LanguageModelV4GenerateResult["content"],
  overrides: Partial<LanguageModelV4GenerateResult> = {}
): LanguageModelV4GenerateResult => ({
  content,
  finishReason: { unified: content.some((c) => c.type === "tool-call") ? "tool-calls" : "stop", raw: "raw" },
  usage: {
    inputTokens: { total: 120, noCache: 100, cacheRead: 20, cacheWrite: 0 },
    outputTokens: { total: 30, text: 25, reasoning: 5 }
  },
  warnings: [],
  ...overrides
})

export const v3Result = (
  content: LanguageModelV3GenerateResult["content"],
  overrides: Partial<LanguageModelV3GenerateResult> = {}
): LanguageModelV3GenerateResult => ({
  content,
  finishReason: { unified: "stop", raw: "stop" },
  usage: {
    inputTokens: { total: 11, noCache: 11, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: 7, text: 7, reasoning: 0 }
  },
  warnings: [],
  ...overrides
})

/**
 * A language model implementing the v2 specification by hand (the `ai` package no longer ships
 * a v2 mock): the contract is the `LanguageModelV2` type, not our code.
 */
export const v2Model = (
  respond: (options: LanguageModelV2CallOptions) => Awaited<ReturnType<LanguageModelV2["doGenerate"]>>
): LanguageModelV2 & { calls: Array<LanguageModelV2CallOptions> } => {
  const calls: Array<LanguageModelV2CallOptions> = []
  return {
    specificationVersion: "v2",
    provider: "legacy",
    modelId: "v2-model",
    supportedUrls: {},
    calls,
    doGenerate: async (options) => {
      calls.push(options)
      return respond(options)
    },
    doStream: async () => {
      throw new Error("streaming is not used by the adapter")
    }
  }
}

/** A request with one user message and no tools. */
export const hello: ModelRequest = { messages: [{ role: "user", text: "hello" }], tools: [] }
