/**
 * A model that replays a script: each agent step answers with the next scripted reply (text,
 * tool calls, or both), so runs are deterministic in tests, demos and benchmarks. It goes
 * through the same argument parsing as a real provider adapter, reports usage, honours the
 * request's AbortSignal, and fails with `script-exhausted` when asked for more steps than the
 * script holds.
 *
 * @example
 * ```ts
 * import { ScriptedModel } from "@bga/core/testing"
 * const model = ScriptedModel.make([
 *   { toolCalls: [{ name: "crm_lookup", args: { email: "a@example.com" } }] },
 *   { text: "The customer is on the gold plan." }
 * ])
 * // Effect: Layer.succeed(ModelPort, model)   Promise: await generatePromise(model, request)
 * ```
 *
 * @module
 */
import { Effect, Layer } from "effect"
import { abortable, abortableDelay, combineSignals } from "../model/internal/abortable.js"
import { ModelError, type ModelErrorReason } from "../model/ModelError.js"
import type { FinishReason, ModelToolCall, ModelUsage } from "../model/ModelMessage.js"
import {
  abortedError,
  ModelPort,
  type ModelPortShape,
  type ModelRequest,
  type ModelResponse,
  toModelError
} from "../model/ModelPort.js"
import { parseToolCallArgs } from "../model/toolArgs.js"

/** A tool call the scripted model makes. */
export interface ScriptedToolCall {
  readonly name: string
  /** Arguments as a value (sent as JSON text, as a provider would). */
  readonly args?: unknown
  /** Arguments as raw text, to script malformed JSON; wins over `args`. */
  readonly argsText?: string
  /** Call id; `call_<step>_<index>` when left out. */
  readonly id?: string
}

/** What one step answers. */
export interface ScriptedReply {
  readonly text?: string
  readonly toolCalls?: ReadonlyArray<ScriptedToolCall>
  /** Default: `tool-calls` when there are tool calls, else `stop`. */
  readonly finishReason?: FinishReason
  /** Default: about one token per four characters of request and reply (deterministic). */
  readonly usage?: Partial<ModelUsage>
  /** Waits this long before answering; the request's AbortSignal interrupts the wait. */
  readonly delayMs?: number
  /** Fails the step instead of answering (a reason, or a complete `ModelError`). */
  readonly error?: ModelErrorReason | ModelError
}

/** A reply, or a function of the request that returns one (`step` counts from 0). */
export type ScriptStep =
  | ScriptedReply
  | ((request: ModelRequest, step: number) => ScriptedReply | PromiseLike<ScriptedReply>)

/** Options of a scripted model. */
export interface ScriptedModelOptions {
  /** Shown as the model's name in responses, events and errors. Default `scripted/model`. */
  readonly name?: string
}

/** A scripted model: a model port that also shows what it was asked. */
export interface ScriptedModel extends ModelPortShape {
  /** Every request received, in order (also the ones that failed). */
  readonly requests: ReadonlyArray<ModelRequest>
  /** Steps left in an array script; `Infinity` for a function script. */
  readonly remaining: number
}

const estimateTokens = (value: unknown): number => Math.ceil((JSON.stringify(value) ?? "").length / 4)

const inputTokensOf = (request: ModelRequest): number =>
  estimateTokens({ system: request.system ?? "", messages: request.messages, tools: request.tools })

const toolCallsOf = (step: number, calls: ReadonlyArray<ScriptedToolCall>): Array<ModelToolCall> =>
  calls.map((call, index) =>
    parseToolCallArgs({
      id: call.id ?? `call_${step}_${index}`,
      name: call.name,
      argsText: call.argsText ?? JSON.stringify(call.args ?? {}) ?? "{}"
    })
  )

const respond = (name: string, request: ModelRequest, step: number, reply: ScriptedReply): ModelResponse => {
  const text = reply.text ?? ""
  const toolCalls = toolCallsOf(step, reply.toolCalls ?? [])
  return {
    text,
    toolCalls,
    finishReason: reply.finishReason ?? (toolCalls.length > 0 ? "tool-calls" : "stop"),
    usage: {
      inputTokens: reply.usage?.inputTokens ?? inputTokensOf(request),
      outputTokens: reply.usage?.outputTokens ?? estimateTokens({ text, toolCalls })
    },
    model: name
  }
}

const scriptedError = (name: string, error: ModelErrorReason | ModelError): ModelError =>
  error instanceof ModelError
    ? error
    : new ModelError({
        reason: error,
        detail: "scripted failure",
        retryable: error === "rate-limited" || error === "timeout",
        model: name
      })

/**
 * Makes a scripted model. An array script answers step `i` with entry `i` and then fails with
 * `script-exhausted`; a function script answers every step (handy for many identical runs,
 * e.g. "call the tool unless a tool result is already there, then answer").
 */
export const make = (
  script:
    | ReadonlyArray<ScriptStep>
    | ((request: ModelRequest, step: number) => ScriptedReply | PromiseLike<ScriptedReply>),
  options: ScriptedModelOptions = {}
): ScriptedModel => {
  const name = options.name ?? "scripted/model"
  const steps = typeof script === "function" ? undefined : [...script]
  const requests: Array<ModelRequest> = []
  let next = 0

  const stepFor = (request: ModelRequest, step: number): ScriptStep | ModelError => {
    if (typeof script === "function") return script
    const entry = steps?.[step]
    if (entry !== undefined) return entry
    const last = request.messages.at(-1)
    return new ModelError({
      reason: "script-exhausted",
      detail: `the script has ${steps?.length ?? 0} steps and step ${step + 1} was requested (last message: ${
        last === undefined ? "none" : JSON.stringify(last).slice(0, 200)
      })`,
      retryable: false,
      model: name
    })
  }

  const generate = (request: ModelRequest): Effect.Effect<ModelResponse, ModelError> =>
    Effect.suspend(() => {
      requests.push(request)
      const step = next++
      if (request.signal?.aborted === true) return Effect.fail(abortedError(name, request.signal))
      const entry = stepFor(request, step)
      if (entry instanceof ModelError) return Effect.fail(entry)
      return Effect.tryPromise({
        try: (fiberSignal) => {
          const signal = combineSignals(fiberSignal, request.signal)
          return abortable(signal, async () => {
            const reply = typeof entry === "function" ? await entry(request, step) : entry
            if (reply.delayMs !== undefined && reply.delayMs > 0) await abortableDelay(signal, reply.delayMs)
            if (reply.error !== undefined) throw scriptedError(name, reply.error)
            return respond(name, request, step, reply)
          })
        },
        catch: (cause) => toModelError(cause, name, request.signal)
      })
    })

  return {
    name,
    generate,
    requests,
    get remaining() {
      return steps === undefined ? Number.POSITIVE_INFINITY : Math.max(0, steps.length - next)
    }
  }
}

/** Provides the model port with a scripted model. */
export const layer = (
  script: Parameters<typeof make>[0],
  options?: ScriptedModelOptions
): Layer.Layer<ModelPort> => Layer.succeed(ModelPort, make(script, options))
