import type { Storage } from "@bga/core"
import { Effect } from "effect"
import { copy, type MemoryStore, scoped } from "./MemoryStore.js"

// One map per instance keyed by "plugin\u0000key": plugin names cannot contain NUL, so keys of
// two plugins never collide, and sorting the composite key sorts by (plugin, key).
const composite = (pluginId: string, key: string) => `${pluginId}\u0000${key}`

/** The key-value backend over a memory store. */
export const kvBackend = (store: MemoryStore): Storage.KvBackend => {
  const sorted = (ci: string) =>
    [...(store.kv.get(ci)?.entries() ?? [])]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, e]) => e)
  return {
    getKv: (ci, pluginId, key) =>
      Effect.sync(() => {
        const entry = store.kv.get(ci)?.get(composite(pluginId, key))
        return entry === undefined ? undefined : copy(entry)
      }),
    setKv: (entry) =>
      Effect.sync(() => {
        scoped(store.kv, entry.customerInstanceId).set(composite(entry.pluginId, entry.key), copy(entry))
      }),
    deleteKv: (ci, pluginId, key) =>
      Effect.sync(() => store.kv.get(ci)?.delete(composite(pluginId, key)) ?? false),
    listKv: (ci, pluginId, f) =>
      Effect.sync(() =>
        sorted(ci)
          .filter(
            (e) =>
              e.pluginId === pluginId &&
              (f.prefix === undefined || e.key.startsWith(f.prefix)) &&
              (f.after === undefined || e.key > f.after)
          )
          .slice(0, f.limit)
          .map(copy)
      ),
    listAllKv: (ci, after, limit) =>
      Effect.sync(() =>
        sorted(ci)
          .filter((e) => after === undefined || composite(e.pluginId, e.key) > composite(after[0], after[1]))
          .slice(0, limit)
          .map(copy)
      )
  }
}
