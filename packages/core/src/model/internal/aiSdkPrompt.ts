import type {
  JSONSchema7,
  JSONValue,
  LanguageModelV4CallOptions,
  LanguageModelV4Message,
  LanguageModelV4ToolResultPart
} from "@ai-sdk/provider"
import type { ModelMessage, ToolResultMessage } from "../ModelMessage.js"
import type { ModelRequest } from "../ModelPort.js"

/** Settings passed unchanged on every call (sampling, provider-specific options, headers). */
export type AiSdkCallSettings = Pick<
  LanguageModelV4CallOptions,
  "temperature" | "topP" | "topK" | "seed" | "stopSequences" | "headers" | "providerOptions"
>

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const toolResultPart = (message: ToolResultMessage): LanguageModelV4ToolResultPart => ({
  type: "tool-result",
  toolCallId: message.toolCallId,
  toolName: message.toolName,
  output:
    typeof message.result === "string"
      ? { type: message.isError ? "error-text" : "text", value: message.result }
      : { type: message.isError ? "error-json" : "json", value: message.result as JSONValue }
})

/**
 * Translates the provider-neutral conversation into the AI SDK prompt. Only parts that v2, v3
 * and v4 of the specification share are used, so one translation serves all three.
 */
export const toPrompt = (
  system: string | undefined,
  messages: ReadonlyArray<ModelMessage>
): Array<LanguageModelV4Message> => {
  const prompt: Array<LanguageModelV4Message> = []
  if (system !== undefined && system !== "") prompt.push({ role: "system", content: system })
  for (const message of messages) {
    switch (message.role) {
      case "user":
        prompt.push({ role: "user", content: [{ type: "text", text: message.text }] })
        break
      case "assistant": {
        const content: Extract<LanguageModelV4Message, { role: "assistant" }>["content"] = []
        if (message.text !== "") content.push({ type: "text", text: message.text })
        for (const call of message.toolCalls) {
          // Providers such as Anthropic accept only an object as a call's input; a call whose
          // arguments were unreadable or not an object is replayed as `{}`, and its tool
          // result (an error) tells the model what was wrong.
          content.push({
            type: "tool-call",
            toolCallId: call.id,
            toolName: call.name,
            input: call.argsError === undefined && isPlainObject(call.args) ? call.args : {}
          })
        }
        if (content.length > 0) prompt.push({ role: "assistant", content })
        break
      }
      case "tool": {
        // Results of one step travel in one tool message, which every provider accepts.
        const last = prompt.at(-1)
        if (last?.role === "tool") last.content.push(toolResultPart(message))
        else prompt.push({ role: "tool", content: [toolResultPart(message)] })
        break
      }
    }
  }
  return prompt
}

/** The complete call options of one step. */
export const toCallOptions = (
  request: ModelRequest,
  settings: AiSdkCallSettings,
  abortSignal: AbortSignal
): LanguageModelV4CallOptions => {
  const options: LanguageModelV4CallOptions = {
    ...settings,
    prompt: toPrompt(request.system, request.messages),
    abortSignal
  }
  if (request.tools.length > 0) {
    options.tools = request.tools.map((tool) => ({
      type: "function",
      name: tool.name,
      description: tool.description,
      inputSchema: tool.parameters as JSONSchema7
    }))
    options.toolChoice = { type: request.toolChoice ?? "auto" }
  }
  if (request.maxOutputTokens !== undefined) options.maxOutputTokens = request.maxOutputTokens
  return options
}
