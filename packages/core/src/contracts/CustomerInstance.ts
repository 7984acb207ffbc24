import { Schema } from "effect"
import { BoundedString, CustomerInstanceId, Environment, Timestamp } from "./primitives.js"

/**
 * A customer instance: the unit of isolation. Every run, tool call, approval, audit record and
 * stored value belongs to exactly one, and nothing crosses between two.
 */
export const CustomerInstance = Schema.Struct({
  version: Schema.Literal(1),
  id: CustomerInstanceId,
  displayName: BoundedString(256, 1),
  environments: Schema.Array(Environment).check(Schema.isMinLength(1), Schema.isMaxLength(16)),
  /** Audit records older than this many days may be pruned (the chain stays verifiable). */
  retentionDays: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 36_500 }))),
  createdAt: Timestamp
}).annotate({ identifier: "CustomerInstance" })
export type CustomerInstance = typeof CustomerInstance.Type
