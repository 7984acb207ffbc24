import { Context, Effect, Layer } from "effect"
import type { PolicyDecisionTraceV1 } from "../contracts/PolicyDecisionTrace.js"
import type { PolicyTraceError } from "./errors.js"

/**
 * Where decision traces go. The audit log adapts to this port so that every decision the
 * engine evaluates is kept; a failed `record` fails the evaluation (no unrecorded decisions).
 */
export interface PolicyTraceSinkShape {
  readonly record: (trace: PolicyDecisionTraceV1) => Effect.Effect<void, PolicyTraceError>
}

/** The decision trace sink port. */
export class PolicyTraceSink extends Context.Service<PolicyTraceSink, PolicyTraceSinkShape>()(
  "@bga/core/PolicyTraceSink"
) {}

/** An in-memory sink that keeps traces in order; for tests and demos. */
export interface MemoryTraceSink extends PolicyTraceSinkShape {
  /** Every trace recorded so far, oldest first. */
  readonly traces: () => ReadonlyArray<PolicyDecisionTraceV1>
}

/** Makes an in-memory sink. */
export const makeMemory = (): MemoryTraceSink => {
  const traces: Array<PolicyDecisionTraceV1> = []
  return {
    record: (trace) =>
      Effect.sync(() => {
        traces.push(trace)
      }),
    traces: () => traces.slice()
  }
}

/** A sink that keeps nothing: for hosts that record traces elsewhere (never in production). */
export const layerNoop: Layer.Layer<PolicyTraceSink> = Layer.succeed(PolicyTraceSink, {
  record: () => Effect.void
})

/** Provides an in-memory sink; pass one made with `makeMemory` to read its traces. */
export const layerMemory = (sink: MemoryTraceSink = makeMemory()): Layer.Layer<PolicyTraceSink> =>
  Layer.succeed(PolicyTraceSink, sink)
