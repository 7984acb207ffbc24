import { Context, type Effect, type Option } from "effect"
import type { Json as JsonValue } from "effect/Schema"
import type { RunRequestV2 } from "../contracts/RunRequest.js"
import type { RunState } from "../contracts/RunState.js"
import type { InvalidInputError } from "../json/JsonError.js"
import type { Page } from "./cursor.js"
import type { ConflictError, NotFoundError, StorageError } from "./errors.js"
import type { RunCheckpoint, RunLease, RunRecord } from "./RunRecord.js"

/** The outcome of `create`: the run, and whether this call made it (false on an idempotent retry). */
export interface CreateRunResult {
  readonly run: RunRecord
  readonly created: boolean
}

/** Filters of `RunStore.list`. Results are ordered by run id (UUIDv7, so by creation time). */
export interface RunQuery {
  readonly states?: ReadonlyArray<RunState>
  /** Inclusive lower bound on `createdAt`. */
  readonly createdFrom?: string
  /** Exclusive upper bound on `createdAt`. */
  readonly createdTo?: string
  /** `desc` (newest first) unless set. */
  readonly order?: "asc" | "desc"
  /** 1 to 1000; 100 unless set. */
  readonly limit?: number
  readonly cursor?: string
}

/** Proof that the caller holds the run's lease; writes carrying a stale proof are refused. */
export interface LeaseFence {
  readonly workerId: string
  readonly epoch: number
}

/** A state change guarded by the version the caller last read. */
export interface TransitionInput {
  readonly to: RunState
  readonly expectedVersion: number
  readonly fence?: LeaseFence
}

/** A checkpoint to save; `fence` makes the write conditional on still holding the lease. */
export interface CheckpointInput {
  readonly data: JsonValue
  readonly fence?: LeaseFence
}

/** A request for a run's lease, valid for `ttlMs` from now unless renewed. */
export interface LeaseRequest {
  readonly workerId: string
  /** 1 ms to 24 h. */
  readonly ttlMs: number
}

/** Errors a write to a run can end in. */
export type RunWriteError = InvalidInputError | NotFoundError | ConflictError | StorageError

/**
 * Runs, their checkpoints, idempotency keys and worker leases. Every method takes the customer
 * instance first and sees only that instance's runs: an id from another instance is
 * `NotFoundError`, exactly as an unknown id.
 */
export interface RunStoreShape {
  /**
   * Creates a QUEUED run, or returns the existing one for a retry: the same idempotency key
   * (or caller-chosen `runId`) with the same request returns the first run with
   * `created: false`; with a different request it is `ConflictError("idempotency-key-reused")`
   * (or `"already-exists"`). The request's `customerInstanceId` must be the instance argument.
   */
  readonly create: (
    customerInstanceId: string,
    request: RunRequestV2
  ) => Effect.Effect<CreateRunResult, InvalidInputError | ConflictError | StorageError>
  readonly get: (
    customerInstanceId: string,
    runId: string
  ) => Effect.Effect<RunRecord, InvalidInputError | NotFoundError | StorageError>
  readonly list: (
    customerInstanceId: string,
    query?: RunQuery
  ) => Effect.Effect<Page<RunRecord>, InvalidInputError | StorageError>
  /**
   * Moves a run to another state when its version is still `expectedVersion` and the lifecycle
   * allows the edge; otherwise `ConflictError` (`stale-version`, `illegal-transition`,
   * `lease-lost`) and nothing changes.
   */
  readonly transition: (
    customerInstanceId: string,
    runId: string,
    input: TransitionInput
  ) => Effect.Effect<RunRecord, RunWriteError>
  /** Saves the next checkpoint of a run that has not ended. */
  readonly appendCheckpoint: (
    customerInstanceId: string,
    runId: string,
    input: CheckpointInput
  ) => Effect.Effect<RunCheckpoint, RunWriteError>
  readonly latestCheckpoint: (
    customerInstanceId: string,
    runId: string
  ) => Effect.Effect<Option.Option<RunCheckpoint>, InvalidInputError | NotFoundError | StorageError>
  /**
   * Takes the lease of a run that has not ended when it is free, expired, or already the
   * caller's; otherwise `ConflictError("lease-held")`. Every acquisition gets a new epoch.
   */
  readonly acquireLease: (
    customerInstanceId: string,
    runId: string,
    request: LeaseRequest
  ) => Effect.Effect<RunLease, RunWriteError>
  /** Extends the caller's unexpired lease; a lost or expired lease is `ConflictError("lease-lost")`. */
  readonly renewLease: (
    customerInstanceId: string,
    runId: string,
    fence: LeaseFence,
    ttlMs: number
  ) => Effect.Effect<RunLease, RunWriteError>
  /** Gives the lease back; `ConflictError("lease-lost")` when the caller no longer held it. */
  readonly releaseLease: (
    customerInstanceId: string,
    runId: string,
    fence: LeaseFence
  ) => Effect.Effect<void, RunWriteError>
  /** Runs that have not ended and whose lease has expired: the work of a crashed worker. */
  readonly listExpiredLeases: (
    customerInstanceId: string,
    options?: { readonly limit?: number }
  ) => Effect.Effect<ReadonlyArray<RunRecord>, InvalidInputError | StorageError>
}

/** The run store port. Provided by `@bga/storage-memory`, `-sqlite` and `-postgres` Layers. */
export class RunStore extends Context.Service<RunStore, RunStoreShape>()("@bga/core/RunStore") {}
