import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { Config, type Storage } from "@bga/core"
import { StorageMemory } from "@bga/storage-memory"
import { StoragePostgres } from "@bga/storage-postgres"
import { StorageSqlite } from "@bga/storage-sqlite"
import { Effect, Layer, Redacted, Result } from "effect"

/**
 * The storage the configuration names: SQLite (the default, `.data/bga.sqlite`, its folder
 * created), PostgreSQL (`storage.url` is a secret reference) or memory (throwaway).
 */
export const storageLayer = (
  config: Config.BgaConfig,
  options: { readonly sqliteSynchronous?: "FULL" | "NORMAL" } = {}
): Layer.Layer<Storage.StoragePorts, Storage.StorageError | Config.ConfigError> => {
  const storage = config.storage
  switch (storage.kind) {
    case "sqlite":
      if (storage.path !== ":memory:") mkdirSync(dirname(storage.path), { recursive: true, mode: 0o700 })
      return StorageSqlite.layer({ path: storage.path, synchronous: options.sqliteSynchronous ?? "FULL" })
    case "postgres": {
      const url = Config.resolveSecret(storage.url)
      if (Result.isFailure(url)) return Layer.effectContext(Effect.fail(url.failure))
      return StoragePostgres.layer({ url: Redacted.value(url.success) })
    }
    case "memory":
      return StorageMemory.layer
  }
}
