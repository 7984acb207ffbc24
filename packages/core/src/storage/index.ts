/**
 * Storage ports: `RunStore` (runs, checkpoints, idempotency keys, worker leases),
 * `ApprovalStore`, `KeyValue` (plugin-scoped state) and `StorageReplica` (migration), their
 * records and typed errors, plus what adapters build them from: backends and the
 * `make*` constructors that hold every rule, so all stores behave the same. Adapters live in
 * `@bga/storage-memory`, `@bga/storage-sqlite` and `@bga/storage-postgres`; the conformance
 * suite in `@bga/core/testing`.
 *
 * Every method takes the customer instance id first and cannot reach another instance's rows:
 * ids of other instances read as not found, and cursors are bound to the instance.
 *
 * @module
 */
export {
  type ApprovalRecord,
  type ApprovalStatus,
  ApprovalStore,
  type ApprovalStoreShape,
  type PendingApprovalQuery
} from "./ApprovalStore.js"
export type {
  ApprovalBackend,
  InsertOutcome,
  KvBackend,
  RunBackend,
  RunListFilter,
  StoredRun
} from "./backend.js"
export {
  type CursorBinding,
  type CursorPosition,
  decodeCursor,
  encodeCursor,
  maxCursorLength,
  type Page
} from "./cursor.js"
export {
  DualWriteControl,
  type DualWriteControlShape,
  type DualWriteOptions,
  layerDualWrite,
  makeDualWrite
} from "./dualWrite.js"
export { ConflictError, NotFoundError, StorageError, StoredEntity } from "./errors.js"
export {
  KeyValue,
  type KeyValueShape,
  type KvEntry,
  type KvQuery,
  maxKvKeyLength,
  maxKvValueBytes
} from "./KeyValue.js"
export { makeApprovalStore, systemActor } from "./makeApprovalStore.js"
export { checkKvKey, makeKeyValue } from "./makeKeyValue.js"
export { makeRunStore, maxCheckpointBytes, maxLeaseTtlMs } from "./makeRunStore.js"
export { makeStorageReplica } from "./makeStorageReplica.js"
export { makeStoragePorts, type StorageBackends, type StoragePorts } from "./ports.js"
export { openStorage, type Promised, type StorageClient } from "./promise.js"
export {
  isLegalTransition,
  isTerminal,
  type RunCheckpoint,
  type RunLease,
  type RunRecord,
  type RunSnapshot,
  runTransitions
} from "./RunRecord.js"
export {
  type CheckpointInput,
  type CreateRunResult,
  type LeaseFence,
  type LeaseRequest,
  type RunQuery,
  RunStore,
  type RunStoreShape,
  type RunWriteError,
  type TransitionInput
} from "./RunStore.js"
export { type ReconcileReport, type RowDivergence, reconcile } from "./reconcile.js"
export { StorageReplica, type StorageReplicaShape } from "./StorageReplica.js"
export { defaultPageSize, isoOf, maxPageSize } from "./validate.js"
