import { Result } from "effect"
import { newId } from "../../ids.js"
import { checkJsonValue } from "../../json/safeJson.js"
import type { FinishReason, ModelToolCall, ModelUsage } from "../ModelMessage.js"
import type { ModelResponse } from "../ModelPort.js"
import { parseToolCallArgs } from "../toolArgs.js"

/** The specification versions of `@ai-sdk/provider` language models this adapter reads. */
export type SpecificationVersion = "v2" | "v3" | "v4"

const maxIdLength = 512

const finishReasons: ReadonlySet<string> = new Set([
  "stop",
  "length",
  "content-filter",
  "tool-calls",
  "error",
  "interrupted",
  "other"
])

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A count the provider reported, or 0 when it is missing or not a sane number. */
const tokens = (value: unknown): number =>
  typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.round(value) : 0

/** v2 reports plain numbers; v3 and v4 report `{ total, ... }` objects. */
const usageOf = (version: SpecificationVersion, usage: unknown): ModelUsage => {
  if (!isRecord(usage)) return { inputTokens: 0, outputTokens: 0 }
  if (version === "v2")
    return { inputTokens: tokens(usage.inputTokens), outputTokens: tokens(usage.outputTokens) }
  const input = isRecord(usage.inputTokens) ? usage.inputTokens : {}
  const output = isRecord(usage.outputTokens) ? usage.outputTokens : {}
  // When a provider leaves `total` out but gives the parts, the parts still count toward budgets.
  const inputTokens =
    input.total !== undefined ? tokens(input.total) : tokens(input.noCache) + tokens(input.cacheRead)
  const outputTokens =
    output.total !== undefined ? tokens(output.total) : tokens(output.text) + tokens(output.reasoning)
  return { inputTokens, outputTokens }
}

/** v2 reports a string; v3 and v4 report `{ unified, raw }`. v2's `unknown` maps to `other`. */
const finishReasonOf = (version: SpecificationVersion, value: unknown): FinishReason => {
  const unified = version === "v2" ? value : isRecord(value) ? value.unified : undefined
  return typeof unified === "string" && finishReasons.has(unified) ? (unified as FinishReason) : "other"
}

/** The arguments of a call: JSON text per the specification; an already-parsed value is checked. */
const toolCallOf = (part: Record<string, unknown>): Result.Result<ModelToolCall, string> => {
  const { toolCallId, toolName, input } = part
  if (typeof toolName !== "string") return Result.fail("a tool call has no tool name")
  if (toolName.length > maxIdLength)
    return Result.fail(`a tool name is longer than ${maxIdLength} characters`)
  if (toolCallId !== undefined && typeof toolCallId !== "string")
    return Result.fail("a tool call id is not a string")
  if (typeof toolCallId === "string" && toolCallId.length > maxIdLength)
    return Result.fail(`a tool call id is longer than ${maxIdLength} characters`)
  // Some OpenAI-compatible servers omit call ids; results must still be matched to calls.
  const id = typeof toolCallId === "string" && toolCallId !== "" ? toolCallId : `call_${newId()}`
  if (typeof input === "string")
    return Result.succeed(parseToolCallArgs({ id, name: toolName, argsText: input }))
  const checked = checkJsonValue(input ?? {}, `arguments of tool call ${toolName}`)
  if (Result.isSuccess(checked))
    return Result.succeed({ id, name: toolName, args: (input ?? {}) as ModelToolCall["args"] })
  return Result.succeed({
    id,
    name: toolName,
    args: null,
    argsError: {
      reason: checked.failure.reason,
      message: checked.failure.message.slice(0, 4096),
      text: ""
    }
  })
}

/**
 * Reads a `doGenerate` result into a provider-neutral response. The result comes from
 * third-party code, so its shape is checked rather than trusted; the failure names what broke
 * the specification. Provider-executed tool calls are left out: BGA never runs a tool it did not
 * offer, and a tool the provider ran itself is not one BGA can govern.
 */
export const readGenerateResult = (
  version: SpecificationVersion,
  provider: string,
  modelId: string,
  result: unknown
): Result.Result<ModelResponse, string> => {
  if (!isRecord(result)) return Result.fail("the result is not an object")
  if (!Array.isArray(result.content)) return Result.fail("the result has no content array")
  let text = ""
  const toolCalls: Array<ModelToolCall> = []
  for (const part of result.content) {
    if (!isRecord(part) || typeof part.type !== "string") return Result.fail("a content part has no type")
    if (part.type === "text") {
      if (typeof part.text !== "string") return Result.fail("a text part has no text")
      text += part.text
    } else if (part.type === "tool-call" && part.providerExecuted !== true) {
      const call = toolCallOf(part)
      if (Result.isFailure(call)) return Result.fail(call.failure)
      toolCalls.push(call.success)
    }
    // Reasoning, sources, files and provider-run tool results are not part of the agent loop.
  }
  const response = result.response
  const answeredBy = isRecord(response) && typeof response.modelId === "string" ? response.modelId : modelId
  return Result.succeed({
    text,
    toolCalls,
    finishReason: finishReasonOf(version, result.finishReason),
    usage: usageOf(version, result.usage),
    model: `${provider}/${answeredBy}`
  })
}
