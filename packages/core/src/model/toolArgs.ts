import { Result } from "effect"
import type { JsonLimits } from "../json/limits.js"
import { parseJson } from "../json/safeJson.js"
import type { ModelToolCall } from "./ModelMessage.js"

const previewLength = 4096

/**
 * Reads the JSON argument text of a tool call the way every model adapter must: through the
 * bounded JSON reader, never throwing. Bad text gives a call with `args: null` and an
 * `argsError`, which the tool runtime turns into a tool error the model can react to.
 * Blank text counts as `{}` (providers send it for tools without parameters).
 */
export const parseToolCallArgs = (
  call: { readonly id: string; readonly name: string; readonly argsText: string },
  limits?: JsonLimits
): ModelToolCall => {
  if (call.argsText.trim() === "") return { id: call.id, name: call.name, args: {} }
  const parsed = parseJson(call.argsText, `arguments of tool call ${call.name}`, limits)
  if (Result.isSuccess(parsed)) {
    return { id: call.id, name: call.name, args: parsed.success as ModelToolCall["args"] }
  }
  const error = parsed.failure
  return {
    id: call.id,
    name: call.name,
    args: null,
    argsError: {
      reason: error.reason,
      message: error.message.slice(0, previewLength),
      text: call.argsText.slice(0, previewLength)
    }
  }
}
