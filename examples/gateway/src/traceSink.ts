import { Audit, Policy } from "@bga/core"
import { Effect, Layer } from "effect"

/**
 * The policy trace sink of the host: every decision the engine evaluates is appended to the
 * audit chain of its customer instance, and an evaluation whose trace cannot be kept fails.
 */
export const layerAuditTraceSink: Layer.Layer<Policy.PolicyTraceSink, never, Audit.AuditLog> = Layer.effect(
  Policy.PolicyTraceSink,
  Effect.map(Effect.service(Audit.AuditLog), (audit) => ({
    record: (trace) =>
      Effect.mapError(
        Effect.asVoid(audit.append(trace.customerInstanceId, { kind: "policy_decision", payload: trace })),
        (cause) => new Policy.PolicyTraceError({ reason: "unavailable", decisionId: trace.decisionId, cause })
      )
  }))
)
