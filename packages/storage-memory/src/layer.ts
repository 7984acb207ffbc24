import { Audit, Storage } from "@bga/core"
import { Context, Effect, Layer } from "effect"
import { approvalBackend } from "./approvals.js"
import { auditBackend } from "./audit.js"
import { kvBackend } from "./kv.js"
import { MemoryStore } from "./MemoryStore.js"
import { runBackend } from "./runs.js"

/** Every storage port. */
export type StoragePorts =
  | Storage.RunStore
  | Storage.ApprovalStore
  | Storage.KeyValue
  | Storage.StorageReplica
  | Audit.AuditLog

/** The ports over an existing store. */
export const make = (store: MemoryStore = new MemoryStore()): Context.Context<StoragePorts> => {
  const runs = runBackend(store)
  const approvals = approvalBackend(store)
  const kv = kvBackend(store)
  return Context.make(Storage.RunStore, Storage.makeRunStore(runs)).pipe(
    Context.add(Storage.ApprovalStore, Storage.makeApprovalStore(approvals)),
    Context.add(Storage.KeyValue, Storage.makeKeyValue(kv)),
    Context.add(Storage.StorageReplica, Storage.makeStorageReplica({ runs, approvals, kv })),
    Context.add(Audit.AuditLog, Audit.makeAuditLog(auditBackend(store)))
  )
}

/** Every storage port over a fresh, empty store for each build of the layer. */
export const layer: Layer.Layer<StoragePorts> = Layer.effectContext(Effect.sync(() => make()))

/** Every storage port over the given store, so its data outlives the layer. */
export const layerFromStore = (store: MemoryStore): Layer.Layer<StoragePorts> =>
  Layer.effectContext(Effect.sync(() => make(store)))
