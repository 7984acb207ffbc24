/**
 * The model port over any AI SDK language model (`@ai-sdk/provider` specification v2, v3 or
 * v4): OpenAI, Anthropic, Google, Bedrock, OpenAI-compatible local servers and anything else
 * with an AI SDK provider. The adapter does no retries and no tool execution; it translates one
 * agent step and classifies failures.
 *
 * @example
 * ```ts
 * import { openai } from "@ai-sdk/openai"
 * import { AiSdkModel } from "@bga/core/model"
 * const ModelLive = AiSdkModel.layer(openai("gpt-5-mini"), { settings: { temperature: 0 } })
 * ```
 *
 * @module
 */
import type { LanguageModelV2, LanguageModelV3, LanguageModelV4 } from "@ai-sdk/provider"
import { Effect, Layer, Result } from "effect"
import { abortable, combineSignals } from "./internal/abortable.js"
import { fromProviderError } from "./internal/aiSdkError.js"
import { type AiSdkCallSettings, toCallOptions } from "./internal/aiSdkPrompt.js"
import { readGenerateResult, type SpecificationVersion } from "./internal/aiSdkResult.js"
import { ModelError } from "./ModelError.js"
import { abortedError, ModelPort, type ModelPortShape } from "./ModelPort.js"

export type { AiSdkCallSettings } from "./internal/aiSdkPrompt.js"

/** A language model of any specification version the adapter supports. */
export type LanguageModel = LanguageModelV2 | LanguageModelV3 | LanguageModelV4

/** Options of the adapter. */
export interface AiSdkModelOptions {
  /** Sampling settings, provider options and headers sent with every step. */
  readonly settings?: AiSdkCallSettings
}

const versions: ReadonlySet<string> = new Set<SpecificationVersion>(["v2", "v3", "v4"])

const describe = (model: unknown): string => {
  if (typeof model !== "object" || model === null) return typeof model
  const version = (model as { specificationVersion?: unknown }).specificationVersion
  return `specificationVersion ${JSON.stringify(version)}`
}

/**
 * Wraps a language model as a model port. Throws `ModelError` (reason `unsupported-model`) at
 * once for an object that is not a v2, v3 or v4 language model, so a misconfiguration fails at
 * start-up rather than on the first run.
 */
export const make = (model: LanguageModel, options: AiSdkModelOptions = {}): ModelPortShape => {
  const candidate = model as Partial<LanguageModelV4> | null | undefined
  if (
    typeof candidate !== "object" ||
    candidate === null ||
    typeof candidate.specificationVersion !== "string" ||
    !versions.has(candidate.specificationVersion) ||
    typeof candidate.doGenerate !== "function"
  ) {
    throw new ModelError({
      reason: "unsupported-model",
      detail: `expected an AI SDK language model of specification v2, v3 or v4 with doGenerate, got ${describe(model)}`,
      retryable: false
    })
  }
  const version = candidate.specificationVersion as SpecificationVersion
  const provider = String(model.provider)
  const modelId = String(model.modelId)
  const name = `${provider}/${modelId}`
  const settings = options.settings ?? {}
  // The three versions share every call option and prompt part used here (see aiSdkPrompt).
  const doGenerate = (model as LanguageModelV4).doGenerate.bind(model)
  return {
    name,
    generate: (request) =>
      Effect.tryPromise({
        try: (fiberSignal) => {
          const signal = combineSignals(fiberSignal, request.signal)
          return abortable(signal, () => doGenerate(toCallOptions(request, settings, signal)))
        },
        catch: (cause) => fromProviderError(cause, name, request.signal)
      }).pipe(
        Effect.flatMap((result) => {
          // A late answer after cancellation is discarded, never half-used.
          if (request.signal?.aborted === true) return Effect.fail(abortedError(name, request.signal))
          const read = readGenerateResult(version, provider, modelId, result)
          return Result.isSuccess(read)
            ? Effect.succeed(read.success)
            : Effect.fail(
                new ModelError({
                  reason: "invalid-response",
                  detail: `the ${version} result breaks the specification: ${read.failure}`,
                  retryable: false,
                  model: name
                })
              )
        })
      )
  }
}

/** Provides the model port from a language model; fails with `ModelError` for an unsupported one. */
export const layer = (
  model: LanguageModel,
  options?: AiSdkModelOptions
): Layer.Layer<ModelPort, ModelError> =>
  Layer.effect(
    ModelPort,
    Effect.try({
      try: () => make(model, options),
      catch: (cause) =>
        cause instanceof ModelError
          ? cause
          : new ModelError({ reason: "unsupported-model", detail: String(cause), retryable: false })
    })
  )
