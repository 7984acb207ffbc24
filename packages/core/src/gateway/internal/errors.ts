import type { InvalidInputError } from "../../json/JsonError.js"
import type { OrchestratorError } from "../../orchestrator/Orchestrator.js"
import type { ApprovalResolveError } from "../../tools/ToolRuntimeError.js"
import { GatewayError, type GatewayErrorCode } from "../GatewayError.js"

/** Bad input: `invalid_input` naming every field at fault, or `malformed_json` for text that is not JSON. */
export const fromInvalidInput = (error: InvalidInputError): GatewayError =>
  new GatewayError({
    code: error.reason === "malformed-json" ? "malformed_json" : "invalid_input",
    detail: error.message,
    problems: error.problems.slice(0, 100)
  })

const orchestratorCodes: Readonly<Record<OrchestratorError["reason"], GatewayErrorCode>> = {
  "not-found": "not_found",
  "idempotency-conflict": "idempotency_conflict",
  "queue-full": "queue_full",
  "already-ended": "already_ended",
  forbidden: "forbidden",
  "budget-exhausted": "budget_exhausted",
  "store-unavailable": "unavailable"
}

/** An orchestrator failure as a gateway error with a stable code. */
export const fromOrchestrator = (error: OrchestratorError | InvalidInputError): GatewayError =>
  error._tag === "@bga/core/InvalidInputError"
    ? fromInvalidInput(error)
    : new GatewayError({
        code: orchestratorCodes[error.reason] ?? "internal",
        detail: error.message,
        ...(error.reason === "queue-full" ? { retryAfterSeconds: 1 } : {})
      })

const approvalCodes: Readonly<Record<ApprovalResolveError["reason"], GatewayErrorCode>> = {
  "not-found": "not_found",
  forbidden: "forbidden",
  "already-resolved": "already_resolved",
  expired: "approval_expired",
  "invalid-request": "invalid_input",
  "store-unavailable": "unavailable"
}

/** An approval resolution failure as a gateway error. */
export const fromApprovalResolve = (error: ApprovalResolveError): GatewayError =>
  new GatewayError({ code: approvalCodes[error.reason] ?? "internal", detail: error.message })

/**
 * A store failure. Its message names the operation and a reason, never SQL or a connection
 * string (see `StorageError`), so it is safe to return.
 */
export const unavailable = (error: { readonly message: string }): GatewayError =>
  new GatewayError({ code: "unavailable", detail: error.message })

/** A caller may not do this, for the stated reason. */
export const forbidden = (detail: string): GatewayError => new GatewayError({ code: "forbidden", detail })
