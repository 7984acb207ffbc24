import type { InvalidInputError } from "../../json/JsonError.js"
import { OrchestratorError } from "../Orchestrator.js"

/**
 * Maps what a store or the audit log said to what a runs caller can act on. Bad input stays an
 * `InvalidInputError` (with its field paths); an unknown run, or one of another customer
 * instance, is `not-found`; a reused idempotency key with another request is
 * `idempotency-conflict`; anything else the store could not do is `store-unavailable`.
 */
export const toOrchestratorError =
  (runId?: string) =>
  (error: {
    readonly _tag: string
    readonly message: string
    readonly reason?: unknown
  }): OrchestratorError | InvalidInputError => {
    // Matched by tag: an adapter may carry its own copy of the error classes.
    if (error._tag === "@bga/core/InvalidInputError") return error as InvalidInputError
    if (error._tag === "@bga/core/OrchestratorError") return error as OrchestratorError
    const id = runId === undefined ? {} : { runId }
    switch (error._tag) {
      case "@bga/core/NotFoundError":
        return new OrchestratorError({
          reason: "not-found",
          detail: "no such run in this customer instance",
          ...id
        })
      case "@bga/core/ConflictError":
        if (error.reason === "idempotency-key-reused" || error.reason === "already-exists") {
          return new OrchestratorError({ reason: "idempotency-conflict", detail: error.message, ...id })
        }
        return new OrchestratorError({ reason: "store-unavailable", detail: error.message, ...id })
      case "@bga/core/IllegalTransitionError":
        return new OrchestratorError({ reason: "already-ended", detail: error.message, ...id })
      default:
        return new OrchestratorError({ reason: "store-unavailable", detail: error.message, ...id })
    }
  }
