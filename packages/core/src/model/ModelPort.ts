import { Context, Effect } from "effect"
import { ModelError } from "./ModelError.js"
import type { FinishReason, ModelMessage, ModelToolCall, ModelUsage, ToolDescriptor } from "./ModelMessage.js"

/**
 * Everything a model needs for one agent step. Provider-neutral: adapters translate it to their
 * provider's format, so the agent loop is the same for every model.
 */
export interface ModelRequest {
  /** Instructions for the agent; sent before the messages. */
  readonly system?: string
  /** The conversation so far, oldest first. */
  readonly messages: ReadonlyArray<ModelMessage>
  /** The tools this step may call (already narrowed by policy to what the run may use). */
  readonly tools: ReadonlyArray<ToolDescriptor>
  /** `none` asks for a final answer without tool calls (e.g. on the last allowed step). */
  readonly toolChoice?: "auto" | "none" | "required"
  /** Upper bound on generated tokens for this step (budgets lower it as they run out). */
  readonly maxOutputTokens?: number
  /** Cancels the step; a model that honours it fails with reason `aborted`. */
  readonly signal?: AbortSignal
}

/** What one agent step produced. */
export interface ModelResponse {
  /** Text for the user; empty when the model only called tools. */
  readonly text: string
  /** Tool calls to run before the next step, in the order the model gave them. Untrusted. */
  readonly toolCalls: ReadonlyArray<ModelToolCall>
  readonly finishReason: FinishReason
  /** Tokens of this step; counted by budgets. Zero when the provider did not report them. */
  readonly usage: ModelUsage
  /** `provider/modelId` that answered, for events and audit. */
  readonly model?: string
}

/** The model port: one call per agent step. Implemented by `AiSdkModel` and `ScriptedModel`. */
export interface ModelPortShape {
  /** `provider/modelId`, for events and error messages. */
  readonly name: string
  readonly generate: (request: ModelRequest) => Effect.Effect<ModelResponse, ModelError>
}

/**
 * The service key of the model port. The orchestrator's agent loop asks it for each step; any
 * implementation can be provided with `Layer.succeed(ModelPort, shape)`.
 *
 * @example
 * ```ts
 * const step = Effect.gen(function* () {
 *   const model = yield* ModelPort
 *   return yield* model.generate({ messages: [{ role: "user", text: "hi" }], tools: [] })
 * })
 * ```
 */
export class ModelPort extends Context.Service<ModelPort, ModelPortShape>()("@bga/core/ModelPort") {}

/**
 * Builds a model port from a Promise function, for models written without Effect. A rejection
 * with a `ModelError` keeps its reason; any other rejection becomes reason `provider`, or
 * `aborted` when the request's signal fired.
 *
 * @example
 * ```ts
 * const echo = fromPromise("local/echo", async (request) => ({
 *   text: "ok", toolCalls: [], finishReason: "stop", usage: { inputTokens: 0, outputTokens: 0 }
 * }))
 * ```
 */
export const fromPromise = (
  name: string,
  generate: (request: ModelRequest) => Promise<ModelResponse>
): ModelPortShape => ({
  name,
  generate: (request) =>
    Effect.tryPromise({
      try: () => generate(request),
      catch: (cause) => toModelError(cause, name, request.signal)
    })
})

/** Runs one step of a model port as a Promise; rejects with `ModelError`. */
export const generatePromise = (model: ModelPortShape, request: ModelRequest): Promise<ModelResponse> =>
  Effect.runPromise(model.generate(request))

/** The error for a step whose signal fired. */
export const abortedError = (model: string, signal?: AbortSignal): ModelError =>
  new ModelError({
    reason: "aborted",
    detail: signal?.reason instanceof Error ? signal.reason.message : "the step was cancelled",
    retryable: false,
    model
  })

/** Normalizes anything a model implementation threw. */
export const toModelError = (cause: unknown, model: string, signal?: AbortSignal): ModelError => {
  if (cause instanceof ModelError) return cause
  if (signal?.aborted === true) return abortedError(model, signal)
  return new ModelError({
    reason: "provider",
    detail: cause instanceof Error ? cause.message : String(cause),
    retryable: false,
    model,
    cause
  })
}
