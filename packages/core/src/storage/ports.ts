import { Context } from "effect"
import { AuditLog } from "../audit/AuditLog.js"
import type { AuditBackend } from "../audit/backend.js"
import { makeAuditLog } from "../audit/makeAuditLog.js"
import { ApprovalStore } from "./ApprovalStore.js"
import type { ApprovalBackend, KvBackend, RunBackend } from "./backend.js"
import { KeyValue } from "./KeyValue.js"
import { makeApprovalStore } from "./makeApprovalStore.js"
import { makeKeyValue } from "./makeKeyValue.js"
import { makeRunStore } from "./makeRunStore.js"
import { makeStorageReplica } from "./makeStorageReplica.js"
import { RunStore } from "./RunStore.js"
import { StorageReplica } from "./StorageReplica.js"

/** Every storage port; what a storage adapter's layer provides. */
export type StoragePorts = RunStore | ApprovalStore | KeyValue | StorageReplica | AuditLog

/** The backends of one store. */
export interface StorageBackends {
  readonly runs: RunBackend
  readonly approvals: ApprovalBackend
  readonly kv: KvBackend
  readonly audit: AuditBackend
}

/** Builds every port over an adapter's backends (what an adapter's layer provides). */
export const makeStoragePorts = (backends: StorageBackends): Context.Context<StoragePorts> =>
  Context.make(RunStore, makeRunStore(backends.runs)).pipe(
    Context.add(ApprovalStore, makeApprovalStore(backends.approvals)),
    Context.add(KeyValue, makeKeyValue(backends.kv)),
    Context.add(StorageReplica, makeStorageReplica(backends)),
    Context.add(AuditLog, makeAuditLog(backends.audit))
  )
