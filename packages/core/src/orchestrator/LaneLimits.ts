import { Schema } from "effect"
import { CustomerInstanceId } from "../contracts/primitives.js"

const PositiveInt = (max: number) =>
  Schema.Int.check(
    Schema.isBetween({ minimum: 1, maximum: max }, { expected: `an integer from 1 to ${max}` })
  )

/** One customer instance's own lane settings, over the defaults. */
export const InstanceLaneLimits = Schema.Struct({
  /** Runs of this instance that may be RUNNING at once. */
  concurrency: Schema.optionalKey(PositiveInt(100_000)),
  /** Runs of this instance that may wait in the queue. */
  queueLimit: Schema.optionalKey(PositiveInt(10_000_000)),
  /** Share of dispatches when instances compete: weight 2 gets two turns for every one of weight 1. */
  weight: Schema.optionalKey(PositiveInt(100))
}).annotate({ identifier: "InstanceLaneLimits" })
export type InstanceLaneLimits = typeof InstanceLaneLimits.Type

/**
 * Concurrency and queue limits of the lanes of one process. A run needs a slot both in its
 * customer instance's lane and globally; waiting runs are capped so overload is refused with a
 * clear error instead of growing memory without bound.
 */
export const LaneLimits = Schema.Struct({
  /** Runs that may be RUNNING at once across all customer instances. */
  globalConcurrency: PositiveInt(100_000),
  /** Runs of one customer instance that may be RUNNING at once (unless the instance says otherwise). */
  instanceConcurrency: PositiveInt(100_000),
  /** Runs that may wait across all customer instances. */
  globalQueueLimit: PositiveInt(10_000_000),
  /** Runs of one customer instance that may wait (unless the instance says otherwise). */
  instanceQueueLimit: PositiveInt(10_000_000),
  instances: Schema.optionalKey(
    Schema.Record(CustomerInstanceId, InstanceLaneLimits).check(Schema.isMaxProperties(100_000))
  )
}).annotate({ identifier: "LaneLimits" })
export type LaneLimits = typeof LaneLimits.Type

/** Defaults sized for one process on a small machine. */
export const defaultLaneLimits: LaneLimits = {
  globalConcurrency: 64,
  instanceConcurrency: 8,
  globalQueueLimit: 10_000,
  instanceQueueLimit: 1_000
}

/**
 * A run refused because too many runs already wait: in its customer instance's lane
 * (`instance-queue-full`) or across the process (`global-queue-full`). Callers should retry
 * later (an HTTP host answers 429). Nothing was queued.
 */
export class QueueFullError extends Schema.TaggedError<QueueFullError>()("@bga/core/QueueFullError", {
  reason: Schema.Literals(["instance-queue-full", "global-queue-full"]),
  customerInstanceId: Schema.String,
  limit: Schema.Int
}) {
  override get message(): string {
    return this.reason === "instance-queue-full"
      ? `customer instance ${this.customerInstanceId} already has ${this.limit} runs waiting, its limit; retry later`
      : `${this.limit} runs are already waiting across all customer instances, the limit; retry later`
  }
}
