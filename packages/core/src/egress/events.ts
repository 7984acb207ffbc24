import { Context, Effect, Layer, Schema } from "effect"
import { PolicyDecisionTraceV1 } from "../contracts/PolicyDecisionTrace.js"
import { BoundedString, CustomerInstanceId, Id, NonNegativeInt, Timestamp } from "../contracts/primitives.js"
import { EgressBlockReason, EgressFailureReason } from "./EgressError.js"

const common = {
  version: Schema.Literal(1),
  eventId: Id,
  ts: Timestamp,
  customerInstanceId: CustomerInstanceId,
  runId: Schema.optionalKey(Id),
  /** Links the hops of one guarded request (its redirects): the `eventId` of its first event. */
  requestId: Id,
  /** 0 for the first request, then one more per redirect followed. */
  hop: NonNegativeInt,
  /** Target without query or fragment. */
  url: BoundedString(2048),
  host: BoundedString(512)
}

/** A request refused by egress policy, with the policy decision that refused it. */
export const EgressBlockedV1 = Schema.Struct({
  type: Schema.Literal("egress.blocked"),
  ...common,
  reason: EgressBlockReason,
  detail: BoundedString(1024),
  address: Schema.optionalKey(BoundedString(64)),
  decision: PolicyDecisionTraceV1
}).annotate({ identifier: "EgressBlockedV1" })
export type EgressBlockedV1 = typeof EgressBlockedV1.Type

/** One request that went out: where it connected, what came back, how many body bytes. */
export const EgressFetchedV1 = Schema.Struct({
  type: Schema.Literal("egress.fetched"),
  ...common,
  method: BoundedString(16, 1),
  /** The checked address the connection was pinned to. */
  address: BoundedString(64, 1),
  port: Schema.Int,
  status: Schema.Int,
  bytes: NonNegativeInt,
  durationMs: NonNegativeInt,
  /** Set when reading stopped at the byte cap and the body was cut. */
  truncated: Schema.optionalKey(Schema.Boolean),
  /** The instance's opened private block this request relied on (its use is audited here). */
  privateRange: Schema.optionalKey(BoundedString(64, 1))
}).annotate({ identifier: "EgressFetchedV1" })
export type EgressFetchedV1 = typeof EgressFetchedV1.Type

/** An allowed request that failed: DNS, connection, timeout, or a size limit. */
export const EgressFailedV1 = Schema.Struct({
  type: Schema.Literal("egress.failed"),
  ...common,
  reason: EgressFailureReason,
  detail: BoundedString(1024),
  address: Schema.optionalKey(BoundedString(64)),
  bytes: Schema.optionalKey(NonNegativeInt),
  privateRange: Schema.optionalKey(BoundedString(64, 1))
}).annotate({ identifier: "EgressFailedV1" })
export type EgressFailedV1 = typeof EgressFailedV1.Type

/** Everything the guard reports about outbound traffic, for the audit log. */
export const EgressEventV1 = Schema.Union([EgressBlockedV1, EgressFetchedV1, EgressFailedV1]).annotate({
  identifier: "EgressEventV1"
})
export type EgressEventV1 = typeof EgressEventV1.Type

/**
 * Where the guard sends its events and decisions. The tool runtime wires this to the audit log
 * and the policy decision store; the guard waits for `record` before it answers, so a host
 * whose recorder must not lose events can make `record` durable.
 */
export interface EgressRecorderShape {
  readonly record: (event: EgressEventV1) => Effect.Effect<void>
}

/** The egress event sink as an Effect service. */
export class EgressRecorder extends Context.Service<EgressRecorder, EgressRecorderShape>()(
  "@bga/core/EgressRecorder"
) {}

/** A recorder backed by a Promise-returning function, for hosts that do not use Effect. */
export const recorderFromPromise = (
  record: (event: EgressEventV1) => Promise<void> | void
): EgressRecorderShape => ({
  record: (event) => Effect.promise(async () => record(event))
})

/** An in-memory recorder: keeps every event in order (tests, demos, a host's own inspection). */
export interface MemoryRecorder extends EgressRecorderShape {
  readonly events: ReadonlyArray<EgressEventV1>
  readonly clear: () => void
}

/** Makes an in-memory recorder. */
export const makeMemoryRecorder = (): MemoryRecorder => {
  const events: Array<EgressEventV1> = []
  return {
    events,
    clear: () => {
      events.length = 0
    },
    record: (event) =>
      Effect.sync(() => {
        events.push(event)
      })
  }
}

/** Provides an in-memory `EgressRecorder`. */
export const layerMemoryRecorder = (
  recorder: MemoryRecorder = makeMemoryRecorder()
): Layer.Layer<EgressRecorder> => Layer.succeed(EgressRecorder, recorder)
