import { Schema } from "effect"
import { BoundedString, JsonObject, JsonValue, NonNegativeInt } from "../contracts/primitives.js"

/**
 * Why a tool call's arguments could not be read. Kept on the call (not thrown) so the tool
 * runtime can answer the model with a tool error and let it try again.
 */
export const ToolArgsError = Schema.Struct({
  reason: Schema.Literals(["too-large", "too-deep", "malformed-json", "forbidden-key", "invalid"]),
  message: BoundedString(4096),
  /** The start of the text the model sent, so it can see what it got wrong. */
  text: BoundedString(4096)
}).annotate({ identifier: "ToolArgsError" })
export type ToolArgsError = typeof ToolArgsError.Type

/**
 * A tool call proposed by a model. Everything in it is untrusted: the name may not be a known
 * tool and `args` has not been checked against any schema (the tool runtime does both).
 */
export const ModelToolCall = Schema.Struct({
  /** The provider's id for the call; tool results refer to it. */
  id: BoundedString(512, 1),
  /** The name the model asked for, unchecked. */
  name: BoundedString(512),
  /** The parsed arguments; `null` when `argsError` is set. */
  args: JsonValue,
  /** Present when the arguments were not acceptable JSON. */
  argsError: Schema.optionalKey(ToolArgsError)
}).annotate({ identifier: "ModelToolCall" })
export type ModelToolCall = typeof ModelToolCall.Type

/** Input from the person (or system) the agent works for. */
export const UserMessage = Schema.Struct({
  role: Schema.Literal("user"),
  text: Schema.String
}).annotate({ identifier: "UserMessage" })
export type UserMessage = typeof UserMessage.Type

/** What the model said in one step: text, tool calls, or both. */
export const AssistantMessage = Schema.Struct({
  role: Schema.Literal("assistant"),
  text: Schema.String,
  toolCalls: Schema.Array(ModelToolCall)
}).annotate({ identifier: "AssistantMessage" })
export type AssistantMessage = typeof AssistantMessage.Type

/**
 * The result of one tool call as the model sees it. `isError` marks denials, invalid
 * arguments, failures and timeouts, so the model can recover instead of the run crashing.
 */
export const ToolResultMessage = Schema.Struct({
  role: Schema.Literal("tool"),
  toolCallId: BoundedString(512, 1),
  toolName: BoundedString(512),
  /** A string is sent as text; anything else as JSON. */
  result: JsonValue,
  isError: Schema.Boolean
}).annotate({ identifier: "ToolResultMessage" })
export type ToolResultMessage = typeof ToolResultMessage.Type

/** One entry of a conversation, in a form that does not depend on any model provider. */
export const ModelMessage = Schema.Union([UserMessage, AssistantMessage, ToolResultMessage]).annotate({
  identifier: "ModelMessage"
})
export type ModelMessage = typeof ModelMessage.Type

/** Tokens used by one model step (or summed over several). */
export const ModelUsage = Schema.Struct({
  inputTokens: NonNegativeInt,
  outputTokens: NonNegativeInt
}).annotate({ identifier: "ModelUsage" })
export type ModelUsage = typeof ModelUsage.Type

/**
 * Why a model stopped. `tool-calls` means it wants tool results before going on; `length`
 * means it hit `maxOutputTokens`; `interrupted` means the provider stopped without saying why
 * (the output may be incomplete).
 */
export const FinishReason = Schema.Literals([
  "stop",
  "length",
  "content-filter",
  "tool-calls",
  "error",
  "interrupted",
  "other"
])
export type FinishReason = typeof FinishReason.Type

/**
 * A tool as the model sees it. `parameters` is a JSON Schema object: whatever library the tool
 * author used (Effect Schema, zod, TypeBox), the model is shown JSON Schema.
 */
export const ToolDescriptor = Schema.Struct({
  name: BoundedString(512, 1),
  description: BoundedString(16_384),
  parameters: JsonObject
}).annotate({ identifier: "ToolDescriptor" })
export type ToolDescriptor = typeof ToolDescriptor.Type
