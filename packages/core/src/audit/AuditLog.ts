import { Context, type Effect, type Option, type Stream } from "effect"
import type { InvalidInputError } from "../json/JsonError.js"
import type { Page } from "../storage/cursor.js"
import type { ConflictError, StorageError } from "../storage/errors.js"
import type { AuditEntry } from "./AuditEntry.js"
import type { AuditKind, AuditRecord, ChainHead } from "./AuditRecord.js"
import type { SignedAuditCheckpoint } from "./checkpoint.js"
import type { VerifyReport } from "./verify.js"

/**
 * Filters of `AuditLog.list` (`audit.events.list`). All given filters must match. Results are
 * in chain order (`asc`, the default) or newest first (`desc`); cursors stay valid while
 * records are appended.
 */
export interface AuditQuery {
  readonly runId?: string
  /** Any of these kinds (at most 16). */
  readonly kinds?: ReadonlyArray<AuditKind>
  /** `RunEventV1.type` for run events, `tool.<outcome>`, `policy.<effect>`, `approval.<outcome>`, or an open kind's own. */
  readonly eventType?: string
  readonly decisionId?: string
  readonly actorId?: string
  /** Inclusive lower bound on `ts`. */
  readonly from?: string
  /** Exclusive upper bound on `ts`. */
  readonly to?: string
  readonly order?: "asc" | "desc"
  /** 1 to 1000; 100 unless set. */
  readonly limit?: number
  readonly cursor?: string
}

/** Options of `verify`. Without a range the whole stored chain is checked. */
export interface AuditVerifyInput {
  readonly fromSeq?: number
  readonly toSeq?: number
  /** Signed checkpoints the chain must agree with; detects records removed from the end. */
  readonly checkpoints?: ReadonlyArray<SignedAuditCheckpoint>
  /** Public key the checkpoints must verify with (base64 raw or SPKI PEM). */
  readonly publicKey?: string
}

/** What a prune removed and the anchor it left. */
export interface PruneResult {
  readonly pruned: number
  readonly anchor?: AuditRecord
}

/**
 * The audit log: append-only, one hash chain per customer instance. Appends to one instance
 * are serialized by the store (also across processes and replicas), so the chain never forks.
 */
export interface AuditLogShape {
  /** Appends one record and returns it as stored (with `seq`, `ts`, `hash`). */
  readonly append: (
    customerInstanceId: string,
    entry: AuditEntry
  ) => Effect.Effect<AuditRecord, InvalidInputError | ConflictError | StorageError>
  /** Appends up to 1000 records atomically: all of them, consecutively, or none. */
  readonly appendAll: (
    customerInstanceId: string,
    entries: ReadonlyArray<AuditEntry>
  ) => Effect.Effect<ReadonlyArray<AuditRecord>, InvalidInputError | ConflictError | StorageError>
  readonly list: (
    customerInstanceId: string,
    query?: AuditQuery
  ) => Effect.Effect<Page<AuditRecord>, InvalidInputError | StorageError>
  /** The newest record's position, or none for an empty log. */
  readonly head: (
    customerInstanceId: string
  ) => Effect.Effect<Option.Option<ChainHead>, InvalidInputError | StorageError>
  /** Up to `limit` records from `fromSeq` on, in chain order (replication, export). */
  readonly read: (
    customerInstanceId: string,
    options: { readonly fromSeq: number; readonly limit: number }
  ) => Effect.Effect<ReadonlyArray<AuditRecord>, InvalidInputError | StorageError>
  /**
   * Recomputes every hash and link in the range and reports each modified, deleted,
   * inserted or reordered record by sequence number. Tampering is a finding in the report,
   * not an error.
   */
  readonly verify: (
    customerInstanceId: string,
    input?: AuditVerifyInput
  ) => Effect.Effect<VerifyReport, InvalidInputError | StorageError>
  /** The chain as JSONL, one canonical record per line; `verifyJsonl` and `importRecords` accept it. */
  readonly exportJsonl: (
    customerInstanceId: string,
    options?: { readonly fromSeq?: number; readonly toSeq?: number }
  ) => Stream.Stream<string, InvalidInputError | StorageError>
  /**
   * Appends records exported from another store, unchanged. They must continue this chain
   * exactly (next `seq`, linked `prevHash`, valid hashes); otherwise
   * `ConflictError("chain-mismatch")` and nothing is written. An imported retention anchor
   * also removes the records it says were pruned, so a copy stays equal to its source.
   */
  readonly importRecords: (
    customerInstanceId: string,
    records: ReadonlyArray<AuditRecord>
  ) => Effect.Effect<number, InvalidInputError | ConflictError | StorageError>
  /**
   * Removes records older than `before` and leaves an anchor record, atomically. By default the
   * pruned range is verified first and a broken range is refused with
   * `ConflictError("chain-mismatch")`, so retention never erases evidence of tampering.
   */
  readonly prune: (
    customerInstanceId: string,
    options: { readonly before: string; readonly verifyFirst?: boolean }
  ) => Effect.Effect<PruneResult, InvalidInputError | ConflictError | StorageError>
}

/** The audit log port. */
export class AuditLog extends Context.Service<AuditLog, AuditLogShape>()("@bga/core/AuditLog") {}
