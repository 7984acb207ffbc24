import { Config as BgaConfig, Storage } from "@bga/core"
import { type Context, Effect, Layer } from "effect"
import { approvalBackend } from "./approvals.js"
import { auditBackend } from "./audit.js"
import { SqliteDatabase, type SqliteOptions } from "./Database.js"
import { toStorageError } from "./errors.js"
import { kvBackend } from "./kv.js"
import { runBackend } from "./runs.js"

export type { SqliteOptions } from "./Database.js"

/** Opens the database and builds every port over it; the database closes with the scope. */
export const make = (options: SqliteOptions) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.try({
        try: () => SqliteDatabase.open(options),
        catch: (error) => toStorageError("open", error)
      }),
      (db) => Effect.sync(() => db.close())
    ),
    (db): Context.Context<Storage.StoragePorts> =>
      Storage.makeStoragePorts({
        runs: runBackend(db),
        approvals: approvalBackend(db),
        kv: kvBackend(db),
        audit: auditBackend(db)
      })
  )

/** Every storage port on a SQLite file. */
export const layer = (options: SqliteOptions): Layer.Layer<Storage.StoragePorts, Storage.StorageError> =>
  Layer.effectContext(make(options))

/** Every storage port on the SQLite file named by `storage` in the BGA configuration (`kind: "sqlite"`). */
export const layerConfig = (
  options: Omit<SqliteOptions, "path"> = {}
): Layer.Layer<Storage.StoragePorts, Storage.StorageError, BgaConfig.ConfigService> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const config = yield* BgaConfig.ConfigService
      if (config.storage.kind !== "sqlite") {
        return yield* new Storage.StorageError({
          reason: "failed",
          operation: "open",
          detail: `storage.kind is "${config.storage.kind}", not "sqlite"`
        })
      }
      return yield* make({ ...options, path: config.storage.path })
    })
  )
