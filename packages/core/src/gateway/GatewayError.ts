import { Schema } from "effect"
import { JsonProblem } from "../json/JsonError.js"

/**
 * Stable error codes of the gateway. Clients branch on `code`, never on `message`; a code
 * keeps its meaning and its HTTP status across releases.
 */
export const GatewayErrorCode = Schema.Literals([
  "malformed_json",
  "invalid_input",
  "unsupported_media_type",
  "payload_too_large",
  "unauthenticated",
  "forbidden",
  "locked_out",
  "unknown_method",
  "method_not_allowed",
  "not_found",
  "idempotency_conflict",
  "already_ended",
  "already_resolved",
  "approval_expired",
  "queue_full",
  "budget_exhausted",
  "timeout",
  "unavailable",
  "shutting_down",
  "internal"
]).annotate({ identifier: "GatewayErrorCode" })
export type GatewayErrorCode = typeof GatewayErrorCode.Type

/** The HTTP status each code is served with. */
export const httpStatusOf: Readonly<Record<GatewayErrorCode, number>> = {
  malformed_json: 400,
  invalid_input: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  unauthenticated: 401,
  forbidden: 403,
  locked_out: 429,
  unknown_method: 404,
  method_not_allowed: 405,
  not_found: 404,
  idempotency_conflict: 409,
  already_ended: 409,
  already_resolved: 409,
  approval_expired: 409,
  queue_full: 429,
  budget_exhausted: 429,
  timeout: 503,
  unavailable: 503,
  shutting_down: 503,
  internal: 500
}

/**
 * A gateway method could not do what was asked. It crosses the wire as `ErrorBody`; `problems`
 * names each field at fault for `invalid_input`, `retryAfterSeconds` says when a locked-out or
 * throttled caller may try again.
 */
export class GatewayError extends Schema.TaggedError<GatewayError>()("@bga/core/GatewayError", {
  code: GatewayErrorCode,
  detail: Schema.String,
  problems: Schema.optionalKey(Schema.Array(JsonProblem)),
  retryAfterSeconds: Schema.optionalKey(Schema.Int)
}) {
  override get message(): string {
    return `${this.code}: ${this.detail}`
  }

  /** The HTTP status of this error. */
  get status(): number {
    return httpStatusOf[this.code]
  }
}

/** How every gateway error is written on the wire. */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    code: GatewayErrorCode,
    message: Schema.String,
    requestId: Schema.optionalKey(Schema.String),
    problems: Schema.optionalKey(Schema.Array(JsonProblem)),
    retryAfterSeconds: Schema.optionalKey(Schema.Int)
  })
}).annotate({ identifier: "ErrorBody", title: "ErrorBody" })
export type ErrorBody = typeof ErrorBody.Type

/** The wire form of an error. */
export const errorBody = (error: GatewayError, requestId?: string): ErrorBody => ({
  error: {
    code: error.code,
    message: error.detail,
    ...(requestId === undefined ? {} : { requestId }),
    ...(error.problems === undefined ? {} : { problems: error.problems }),
    ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds })
  }
})
