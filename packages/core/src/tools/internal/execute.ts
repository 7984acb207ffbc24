import { canonicalJson } from "../../hash.js"
import { makeScrubber, type SecretScrubber } from "../../secrets/redact.js"
import { handlerOf, type ToolContext, type ToolDefinition } from "../ToolDefinition.js"

/** How running a handler ended, before it is recorded. */
export type ExecutionResult =
  | {
      readonly _tag: "Succeeded"
      readonly output: unknown
      readonly truncated: boolean
      readonly secretsRedacted: number
    }
  | {
      readonly _tag: "Failed"
      readonly outcome: "failed" | "timed_out" | "cancelled"
      readonly errorCode: string
      readonly message: string
      readonly secretsRedacted: number
    }

const TIMEOUT = Symbol("timeout")
const CANCELLED = Symbol("cancelled")

/**
 * Caps a handler's output at `maxBytes` of canonical JSON. A string keeps its head; any other
 * value becomes a string preview of its JSON. Either way the cut is reported, never silent.
 */
export const capOutput = (
  output: unknown,
  maxBytes: number
): { readonly output: unknown; readonly truncated: boolean } => {
  let text: string
  try {
    text = output === undefined ? "null" : canonicalJson(output)
  } catch {
    return { output: String(output), truncated: false }
  }
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return { output: output ?? null, truncated: false }
  const source = typeof output === "string" ? output : text
  // Cut on a character boundary: decoding a byte-truncated buffer drops a split code point.
  const head = Buffer.from(source, "utf8")
    .subarray(0, Math.max(0, maxBytes - 64))
    .toString("utf8")
    .replace(/\uFFFD$/u, "")
  return {
    output: `${head}\n[output truncated: ${Buffer.byteLength(source, "utf8")} bytes, limit ${maxBytes}]`,
    truncated: true
  }
}

const errorText = (error: unknown): { code: string; message: string } => {
  if (error instanceof Error) {
    const tag = (error as { _tag?: unknown })._tag
    return { code: typeof tag === "string" ? tag : error.name || "Error", message: error.message }
  }
  return { code: "NonErrorThrown", message: String(error) }
}

const cancelled: ExecutionResult = {
  _tag: "Failed",
  outcome: "cancelled",
  errorCode: "Cancelled",
  message: "the run was cancelled",
  secretsRedacted: 0
}

/** How a handler's output is reported: scrubbed of secrets, then capped. */
const succeeded = (tool: ToolDefinition, value: unknown, scrubber: SecretScrubber): ExecutionResult => {
  const scrubbed = scrubber.scrubValue(value)
  const capped = capOutput(scrubbed.value, tool.maxOutputBytes)
  return {
    _tag: "Succeeded",
    output: capped.output,
    truncated: capped.truncated,
    secretsRedacted: scrubbed.count
  }
}

/** How a handler that threw (or whose output could not be reported) is reported. */
const failed = (
  error: unknown,
  controller: AbortController,
  parent: AbortSignal | undefined,
  scrubber: SecretScrubber
): ExecutionResult => {
  if (controller.signal.aborted && parent?.aborted) return cancelled
  const { code, message } = errorText(error)
  const scrubbed = scrubber.scrubText(message)
  return {
    _tag: "Failed",
    outcome: "failed",
    // The code comes from the handler's error (its _tag or name): scrubbed like the message.
    errorCode: scrubber.scrubText(code).text.slice(0, 128),
    message: scrubbed.text.slice(0, 2000),
    secretsRedacted: scrubbed.count
  }
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === "object" || typeof value === "function") &&
  value !== null &&
  typeof (value as { readonly then?: unknown }).then === "function"

/**
 * Runs one handler under its timeout and the caller's AbortSignal, then scrubs secrets from
 * what it returned and caps its size. A handler that ignores the signal is abandoned at the
 * timeout: the call is reported `timed_out` and its late result is discarded. `scrubber` must
 * cover `context.secrets`; the runtime passes the one it already built for the call's log lines.
 *
 * A handler that answers synchronously is reported synchronously: it cannot have been timed
 * out or cancelled by anything but itself while it ran, so no timer is armed and no promise is
 * raced for it. Any other handler is raced against its timeout, counted from its call.
 */
export const executeHandler = (
  tool: ToolDefinition,
  args: unknown,
  context: Omit<ToolContext, "signal">,
  parent: AbortSignal | undefined,
  scrubber: SecretScrubber = makeScrubber(Object.values(context.secrets))
): ExecutionResult | Promise<ExecutionResult> => {
  const controller = new AbortController()
  // A run cancelled before the call: the handler is not called at all. Calling it with an
  // aborted signal would let a handler that ignores signals carry out a side effect after the
  // cancel, while the record says `cancelled`.
  if (parent?.aborted) {
    return {
      _tag: "Failed",
      outcome: "cancelled",
      errorCode: "Cancelled",
      message: "the run was cancelled",
      secretsRedacted: 0
    }
  }
  const calledAt = performance.now()
  let value: unknown
  try {
    value = handlerOf(tool)(args, { ...context, signal: controller.signal })
  } catch (error) {
    return failed(error, controller, parent, scrubber)
  }
  if (isThenable(value)) {
    const pending = value
    const remaining = tool.timeoutMs - (performance.now() - calledAt)
    return race(tool, controller, parent, remaining, scrubber, () => pending)
  }
  // Only the handler itself could have cancelled the run while it ran.
  if (parent?.aborted) {
    controller.abort(parent.reason)
    return cancelled
  }
  try {
    return succeeded(tool, value, scrubber)
  } catch (error) {
    return failed(error, controller, parent, scrubber)
  }
}

/** Races a handler's answer against the timeout (`timeoutMs` from now) and the caller's signal. */
const race = async (
  tool: ToolDefinition,
  controller: AbortController,
  parent: AbortSignal | undefined,
  timeoutMs: number,
  scrubber: SecretScrubber,
  answer: () => unknown
): Promise<ExecutionResult> => {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const stopped = new Promise<typeof TIMEOUT | typeof CANCELLED>((resolve) => {
    timer = setTimeout(
      () => {
        controller.abort(new Error(`tool ${tool.name} timed out after ${tool.timeoutMs} ms`))
        resolve(TIMEOUT)
      },
      Math.max(0, timeoutMs)
    )
    onAbort = () => {
      controller.abort(parent?.reason)
      resolve(CANCELLED)
    }
    if (parent?.aborted) onAbort()
    else parent?.addEventListener("abort", onAbort, { once: true })
  })
  try {
    const run = Promise.resolve().then(answer)
    // A late rejection of an abandoned handler must not become an unhandled rejection.
    run.catch(() => {})
    const raced = await Promise.race([run.then((value) => ({ value })), stopped])
    if (raced === TIMEOUT) {
      return {
        _tag: "Failed",
        outcome: "timed_out",
        errorCode: "Timeout",
        message: `timed out after ${tool.timeoutMs} ms`,
        secretsRedacted: 0
      }
    }
    if (raced === CANCELLED) return cancelled
    return succeeded(tool, raced.value, scrubber)
  } catch (error) {
    return failed(error, controller, parent, scrubber)
  } finally {
    clearTimeout(timer)
    // The run's signal outlives this call: drop the listener so calls do not accumulate on it.
    if (onAbort) parent?.removeEventListener("abort", onAbort)
  }
}
