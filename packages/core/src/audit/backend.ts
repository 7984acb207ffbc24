import type { Effect, Result } from "effect"
import type { ConflictError, StorageError } from "../storage/errors.js"
import type { AuditRecord, AuditRow, ChainHead } from "./AuditRecord.js"

/** Checked filters of an audit query. Time bounds are `toISOString()` text. */
export interface AuditFilter {
  readonly runId?: string
  readonly kinds?: ReadonlyArray<string>
  readonly eventType?: string
  readonly decisionId?: string
  readonly actorId?: string
  readonly from?: string
  readonly to?: string
  readonly order: "asc" | "desc"
  /** Continue after (asc) or before (desc) this sequence number. */
  readonly afterSeq?: number
  readonly limit: number
}

/** What an append did: the records written (and rows pruned), or a `recordId` already taken. */
export type AppendOutcome =
  | { readonly _tag: "appended"; readonly records: ReadonlyArray<AuditRecord>; readonly pruned: number }
  | { readonly _tag: "duplicate-record-id" }

/**
 * The row operations an adapter implements for `makeAuditLog`. The one hard duty is `append`:
 * it must read the head and insert the records built from it atomically with respect to every
 * other writer of the same instance, in this process or another (a transaction holding the
 * write lock, or an insert conditioned on the head that is retried). `build` is pure and may
 * be called again on retry.
 */
export interface AuditBackend {
  readonly append: (
    customerInstanceId: string,
    build: (head: ChainHead | undefined) => Result.Result<ReadonlyArray<AuditRecord>, ConflictError>,
    options?: { readonly pruneThrough?: number }
  ) => Effect.Effect<AppendOutcome, ConflictError | StorageError>
  readonly head: (customerInstanceId: string) => Effect.Effect<ChainHead | undefined, StorageError>
  /** The lowest stored sequence number. */
  readonly firstSeq: (customerInstanceId: string) => Effect.Effect<number | undefined, StorageError>
  /** The newest record written before `ts`. */
  readonly lastBefore: (
    customerInstanceId: string,
    ts: string
  ) => Effect.Effect<{ readonly seq: number; readonly hash: string } | undefined, StorageError>
  /** Rows with `fromSeq <= seq (<= toSeq)`, by seq, at most `limit`. */
  readonly scan: (
    customerInstanceId: string,
    fromSeq: number,
    toSeq: number | undefined,
    limit: number
  ) => Effect.Effect<ReadonlyArray<AuditRow>, StorageError>
  readonly query: (
    customerInstanceId: string,
    filter: AuditFilter
  ) => Effect.Effect<ReadonlyArray<AuditRow>, StorageError>
  readonly findByRecordId: (
    customerInstanceId: string,
    recordId: string
  ) => Effect.Effect<AuditRow | undefined, StorageError>
}
