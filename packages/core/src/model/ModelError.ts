import { Schema } from "effect"

/**
 * Why a model step failed.
 *
 * - `aborted`: the request's AbortSignal fired (cancellation); not a provider fault.
 * - `timeout`: the provider did not answer in time.
 * - `rate-limited`: the provider refused for quota or rate (HTTP 429); worth retrying later.
 * - `provider`: the provider call failed (network, HTTP 5xx, authentication, ...).
 * - `invalid-request`: the provider rejected the request as written (prompt, tools, settings).
 * - `invalid-response`: the provider answered with something that breaks its own specification.
 * - `unsupported-model`: the object given is not a language model this adapter knows.
 * - `script-exhausted`: a `ScriptedModel` was asked for more steps than its script holds.
 */
export const ModelErrorReason = Schema.Literals([
  "aborted",
  "timeout",
  "rate-limited",
  "provider",
  "invalid-request",
  "invalid-response",
  "unsupported-model",
  "script-exhausted"
])
export type ModelErrorReason = typeof ModelErrorReason.Type

/**
 * A model step that did not produce a response. It lands in run events and the run's failure
 * reason, so it is a schema error with a readable message; `retryable` says whether the same
 * request may succeed later (the orchestrator decides whether to retry).
 */
export class ModelError extends Schema.TaggedError<ModelError>()("@bga/core/ModelError", {
  reason: ModelErrorReason,
  detail: Schema.String,
  retryable: Schema.Boolean,
  /** `provider/modelId` of the model that failed, when known. */
  model: Schema.optionalKey(Schema.String),
  /** HTTP status from the provider, when there was one. */
  statusCode: Schema.optionalKey(Schema.Int),
  cause: Schema.optionalKey(Schema.Defect())
}) {
  override get message(): string {
    const model = this.model === undefined ? "model" : `model ${this.model}`
    const status = this.statusCode === undefined ? "" : ` (HTTP ${this.statusCode})`
    return `${model} step failed (${this.reason})${status}: ${this.detail}`
  }
}
