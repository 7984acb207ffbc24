import { Context, type Effect, type Option } from "effect"
import type { InvalidInputError } from "../json/JsonError.js"
import type { ApprovalRecord } from "./ApprovalStore.js"
import type { StorageError } from "./errors.js"
import type { KvEntry } from "./KeyValue.js"
import type { RunSnapshot } from "./RunRecord.js"

/**
 * Full-fidelity reads and overwrites of runs, approvals and key-value entries, for moving an
 * instance between stores (dual-write, reconcile, migration). It bypasses the lifecycle rules
 * of the other ports on purpose, so hand it only to migration tooling, never to the
 * orchestrator or plugins. The audit log needs no such port: it replicates through
 * `AuditLog.read` and `AuditLog.importRecords`, which accept only records that continue the
 * chain.
 */
export interface StorageReplicaShape {
  /** Runs with their checkpoints, by run id, after `after`. */
  readonly runs: (
    customerInstanceId: string,
    options: { readonly after?: string; readonly limit: number }
  ) => Effect.Effect<ReadonlyArray<RunSnapshot>, InvalidInputError | StorageError>
  /** One run with its checkpoints, or none. */
  readonly run: (
    customerInstanceId: string,
    runId: string
  ) => Effect.Effect<Option.Option<RunSnapshot>, InvalidInputError | StorageError>
  /** Makes the stored run and its checkpoints equal to the snapshot. */
  readonly putRun: (
    customerInstanceId: string,
    snapshot: RunSnapshot
  ) => Effect.Effect<void, InvalidInputError | StorageError>
  readonly approvals: (
    customerInstanceId: string,
    options: { readonly after?: string; readonly limit: number }
  ) => Effect.Effect<ReadonlyArray<ApprovalRecord>, InvalidInputError | StorageError>
  readonly putApproval: (
    customerInstanceId: string,
    record: ApprovalRecord
  ) => Effect.Effect<void, InvalidInputError | StorageError>
  /** Every key-value entry of the instance, by (plugin, key), after `after`. */
  readonly kvEntries: (
    customerInstanceId: string,
    options: { readonly after?: readonly [string, string]; readonly limit: number }
  ) => Effect.Effect<ReadonlyArray<KvEntry>, InvalidInputError | StorageError>
  readonly putKv: (
    customerInstanceId: string,
    entry: KvEntry
  ) => Effect.Effect<void, InvalidInputError | StorageError>
  readonly deleteKv: (
    customerInstanceId: string,
    pluginId: string,
    key: string
  ) => Effect.Effect<void, InvalidInputError | StorageError>
}

/** The replication port; every storage adapter provides it next to the others. */
export class StorageReplica extends Context.Service<StorageReplica, StorageReplicaShape>()(
  "@bga/core/StorageReplica"
) {}
