import type { Effect } from "effect"
import type { RunState } from "../contracts/RunState.js"
import type { ApprovalRecord } from "./ApprovalStore.js"
import type { StorageError } from "./errors.js"
import type { KvEntry } from "./KeyValue.js"
import type { RunCheckpoint, RunRecord, RunSnapshot } from "./RunRecord.js"
import type { LeaseFence } from "./RunStore.js"

/**
 * Backends: the few row operations an adapter implements. Core builds the ports on top of them
 * (`makeRunStore`, `makeApprovalStore`, `makeKeyValue`, `makeStorageReplica`), so argument
 * checks, lifecycle rules, cursors and timestamps are written once and behave the same on
 * every store. Backends receive checked values only, always with the customer instance id,
 * and must scope every statement by it. All timestamps are `toISOString()` text (24
 * characters), which sorts like the instant it names.
 */

/** A run row with its storage revision: the compare-and-set token of `replaceRun`. */
export interface StoredRun {
  readonly run: RunRecord
  readonly rev: number
}

/** Checked filters of a run listing. */
export interface RunListFilter {
  readonly states?: ReadonlyArray<RunState>
  readonly createdFrom?: string
  readonly createdTo?: string
  readonly order: "asc" | "desc"
  /** Continue after (asc) or before (desc) this run id. */
  readonly after?: string
  readonly limit: number
}

/** Outcome of an insert that must not overwrite. */
export type InsertOutcome<A> =
  | { readonly inserted: true }
  | { readonly inserted: false; readonly existing: A }

/** Row operations behind `RunStore` and the run half of `StorageReplica`. */
export interface RunBackend {
  /**
   * Inserts a run unless one exists with the same run id or the same idempotency key in its
   * instance; then returns that one (by run id first).
   */
  readonly insertRun: (run: RunRecord) => Effect.Effect<InsertOutcome<RunRecord>, StorageError>
  readonly getRun: (
    customerInstanceId: string,
    runId: string
  ) => Effect.Effect<StoredRun | undefined, StorageError>
  readonly listRuns: (
    customerInstanceId: string,
    filter: RunListFilter
  ) => Effect.Effect<ReadonlyArray<RunRecord>, StorageError>
  /** Replaces the row when its revision is still `expectedRev` (then it becomes `expectedRev + 1`). */
  readonly replaceRun: (expectedRev: number, next: RunRecord) => Effect.Effect<boolean, StorageError>
  /**
   * Inserts a checkpoint unless its `seq` is taken, or, with a fence, unless the run's lease
   * is no longer that worker's epoch or has expired at `now`; atomically with that check.
   */
  readonly insertCheckpoint: (
    checkpoint: RunCheckpoint,
    fence: LeaseFence | undefined,
    now: string
  ) => Effect.Effect<"inserted" | "seq-taken" | "fenced", StorageError>
  readonly latestCheckpoint: (
    customerInstanceId: string,
    runId: string
  ) => Effect.Effect<RunCheckpoint | undefined, StorageError>
  readonly listCheckpoints: (
    customerInstanceId: string,
    runId: string
  ) => Effect.Effect<ReadonlyArray<RunCheckpoint>, StorageError>
  /** Runs not in a terminal state whose lease expired at or before `now`, oldest expiry first. */
  readonly listExpiredLeases: (
    customerInstanceId: string,
    now: string,
    limit: number
  ) => Effect.Effect<ReadonlyArray<RunRecord>, StorageError>
  /** Replication: makes the stored run and its checkpoints equal to the snapshot. */
  readonly putRunSnapshot: (snapshot: RunSnapshot) => Effect.Effect<void, StorageError>
}

/** Row operations behind `ApprovalStore` and the approval half of `StorageReplica`. */
export interface ApprovalBackend {
  readonly insertApproval: (
    record: ApprovalRecord
  ) => Effect.Effect<InsertOutcome<ApprovalRecord>, StorageError>
  readonly getApproval: (
    customerInstanceId: string,
    approvalId: string
  ) => Effect.Effect<ApprovalRecord | undefined, StorageError>
  /** Pending approvals expiring after `now`, by approval id, after the given id. */
  readonly listPending: (
    customerInstanceId: string,
    filter: { readonly runId?: string; readonly now: string; readonly after?: string; readonly limit: number }
  ) => Effect.Effect<ReadonlyArray<ApprovalRecord>, StorageError>
  /**
   * Compare-and-set from `pending`: with `decide` only while `expiresAt > now`, with `expire`
   * only once `expiresAt <= now`; with `consume`, from `approved` whatever the time (the
   * approval was given in time). True when this call changed the row.
   */
  readonly settleApproval: (
    next: ApprovalRecord,
    now: string,
    mode: "decide" | "expire" | "consume"
  ) => Effect.Effect<boolean, StorageError>
  /** Pending approvals whose deadline is at or before `now`. */
  readonly listDue: (
    customerInstanceId: string,
    now: string,
    limit: number
  ) => Effect.Effect<ReadonlyArray<ApprovalRecord>, StorageError>
  /** Replication: every approval by id, after the given id. */
  readonly listApprovals: (
    customerInstanceId: string,
    after: string | undefined,
    limit: number
  ) => Effect.Effect<ReadonlyArray<ApprovalRecord>, StorageError>
  /** Replication: insert or overwrite. */
  readonly putApproval: (record: ApprovalRecord) => Effect.Effect<void, StorageError>
}

/** Row operations behind `KeyValue` and the key-value half of `StorageReplica`. */
export interface KvBackend {
  readonly getKv: (
    customerInstanceId: string,
    pluginId: string,
    key: string
  ) => Effect.Effect<KvEntry | undefined, StorageError>
  /** Insert or overwrite. */
  readonly setKv: (entry: KvEntry) => Effect.Effect<void, StorageError>
  readonly deleteKv: (
    customerInstanceId: string,
    pluginId: string,
    key: string
  ) => Effect.Effect<boolean, StorageError>
  /** One plugin's entries by key, those starting with `prefix`, after the given key. */
  readonly listKv: (
    customerInstanceId: string,
    pluginId: string,
    filter: { readonly prefix?: string; readonly after?: string; readonly limit: number }
  ) => Effect.Effect<ReadonlyArray<KvEntry>, StorageError>
  /** Replication: every entry of the instance by (plugin, key), after the given pair. */
  readonly listAllKv: (
    customerInstanceId: string,
    after: readonly [string, string] | undefined,
    limit: number
  ) => Effect.Effect<ReadonlyArray<KvEntry>, StorageError>
}
