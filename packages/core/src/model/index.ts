/**
 * The model port: one provider-neutral call per agent step (system prompt, conversation, tool
 * descriptors, AbortSignal, output limit -> text, untrusted tool calls, finish reason, usage),
 * the adapter for any AI SDK language model, and typed `ModelError`s. `ScriptedModel` (for
 * tests and demos) is in `@bga/core/testing`.
 *
 * @example
 * ```ts
 * import { AiSdkModel, ModelPort } from "@bga/core/model"
 * const program = Effect.gen(function* () {
 *   const model = yield* ModelPort
 *   return yield* model.generate({ messages: [{ role: "user", text: "hello" }], tools: [] })
 * }).pipe(Effect.provide(AiSdkModel.layer(languageModel)))
 * ```
 *
 * @module
 */
export * as AiSdkModel from "./AiSdkModel.js"
export { ModelError, ModelErrorReason } from "./ModelError.js"
export * from "./ModelMessage.js"
export {
  abortedError,
  fromPromise,
  generatePromise,
  ModelPort,
  type ModelPortShape,
  type ModelRequest,
  type ModelResponse,
  toModelError
} from "./ModelPort.js"
export { parseToolCallArgs } from "./toolArgs.js"
