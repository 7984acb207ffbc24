import {
  APICallError,
  EmptyResponseBodyError,
  InvalidArgumentError,
  InvalidPromptError,
  InvalidResponseDataError,
  JSONParseError,
  LoadAPIKeyError,
  NoContentGeneratedError,
  TypeValidationError,
  UnsupportedFunctionalityError
} from "@ai-sdk/provider"
import { ModelError, type ModelErrorReason } from "../ModelError.js"
import { abortedError } from "../ModelPort.js"

const error = (
  model: string,
  reason: ModelErrorReason,
  cause: unknown,
  retryable: boolean,
  statusCode?: number
): ModelError =>
  new ModelError({
    reason,
    detail: cause instanceof Error ? cause.message : String(cause),
    retryable,
    model,
    cause,
    ...(statusCode === undefined ? {} : { statusCode })
  })

/**
 * Classifies what a provider threw. `isInstance` checks work across copies of
 * `@ai-sdk/provider` (they match a global symbol), so providers built against an older copy
 * are classified the same way.
 */
export const fromProviderError = (
  cause: unknown,
  model: string,
  signal: AbortSignal | undefined
): ModelError => {
  if (cause instanceof ModelError) return cause
  if (signal?.aborted === true) return abortedError(model, signal)
  if (APICallError.isInstance(cause)) {
    const status = cause.statusCode
    if (status === 429) return error(model, "rate-limited", cause, true, status)
    if (status === 408 || status === 504) return error(model, "timeout", cause, true, status)
    if (status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 403) {
      return error(model, "invalid-request", cause, false, status)
    }
    return error(model, "provider", cause, cause.isRetryable, status)
  }
  if (
    InvalidPromptError.isInstance(cause) ||
    InvalidArgumentError.isInstance(cause) ||
    UnsupportedFunctionalityError.isInstance(cause)
  ) {
    return error(model, "invalid-request", cause, false)
  }
  if (
    InvalidResponseDataError.isInstance(cause) ||
    EmptyResponseBodyError.isInstance(cause) ||
    JSONParseError.isInstance(cause) ||
    TypeValidationError.isInstance(cause) ||
    NoContentGeneratedError.isInstance(cause)
  ) {
    return error(model, "invalid-response", cause, false)
  }
  if (LoadAPIKeyError.isInstance(cause)) return error(model, "provider", cause, false)
  if (cause instanceof Error && cause.name === "TimeoutError") return error(model, "timeout", cause, true)
  return error(model, "provider", cause, false)
}
