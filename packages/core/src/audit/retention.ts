import { Schema } from "effect"
import type { JsonObject } from "effect/Schema"
import { Sha256Hex } from "../contracts/primitives.js"
import type { AuditRecord } from "./AuditRecord.js"

/**
 * Retention: records older than an instance's limit may be deleted, oldest first, while the
 * chain stays verifiable. A prune appends one `anchor` record, in the same transaction as the
 * deletion, naming the last pruned record's `seq` and `hash`. The first kept record links to
 * that hash, and the anchor itself is chained, so `verify` can check the cut: removing more
 * records, or pruning without an anchor, is reported.
 */

/** The payload of an `anchor` record. */
export const AnchorPayload = Schema.Struct({
  reason: Schema.Literal("retention"),
  /** The first record removed by this prune. */
  prunedFromSeq: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  /** The last record removed: the first kept record's `prevHash` is this record's hash. */
  prunedThroughSeq: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  prunedThroughHash: Sha256Hex,
  /** Records older than this instant were removed. */
  cutoff: Schema.String
}).annotate({ identifier: "AnchorPayload" })
export type AnchorPayload = typeof AnchorPayload.Type

const isAnchorPayload = Schema.is(AnchorPayload)

/** The anchor payload of a record, when it is a well-formed anchor. */
export const anchorOf = (record: AuditRecord): AnchorPayload | undefined =>
  record.kind === "anchor" && isAnchorPayload(record.payload) ? record.payload : undefined

/** Builds the payload of the anchor a prune leaves. */
export const anchorPayload = (input: AnchorPayload): JsonObject => ({ ...input })

/** The instant before which records may be pruned, for a retention of `retentionDays`. */
export const retentionCutoff = (nowMs: number, retentionDays: number): number =>
  nowMs - retentionDays * 86_400_000
