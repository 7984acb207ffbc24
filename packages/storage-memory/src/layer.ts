import { Storage } from "@bga/core"
import { type Context, Effect, Layer } from "effect"
import { approvalBackend } from "./approvals.js"
import { auditBackend } from "./audit.js"
import { kvBackend } from "./kv.js"
import { MemoryStore } from "./MemoryStore.js"
import { runBackend } from "./runs.js"

/** The ports over an existing store (a fresh one by default). */
export const make = (store: MemoryStore = new MemoryStore()): Context.Context<Storage.StoragePorts> =>
  Storage.makeStoragePorts({
    runs: runBackend(store),
    approvals: approvalBackend(store),
    kv: kvBackend(store),
    audit: auditBackend(store)
  })

/** Every storage port over a fresh, empty store for each build of the layer. */
export const layer: Layer.Layer<Storage.StoragePorts> = Layer.effectContext(Effect.sync(() => make()))

/** Every storage port over the given store, so its data outlives the layer. */
export const layerFromStore = (store: MemoryStore): Layer.Layer<Storage.StoragePorts> =>
  Layer.effectContext(Effect.sync(() => make(store)))
