import { Config as BgaConfig, Storage } from "@bga/core"
import { type Context, Effect, Layer, Redacted } from "effect"
import type pg from "pg"
import { approvalBackend } from "./approvals.js"
import { auditBackend } from "./audit.js"
import { PgDatabase, type PgOptions } from "./Database.js"
import { toStorageError } from "./errors.js"
import { kvBackend } from "./kv.js"
import { runBackend } from "./runs.js"

export type { PgOptions } from "./Database.js"

const ports = (db: PgDatabase): Context.Context<Storage.StoragePorts> =>
  Storage.makeStoragePorts({
    runs: runBackend(db),
    approvals: approvalBackend(db),
    kv: kvBackend(db),
    audit: auditBackend(db)
  })

const invalidSchema = () =>
  new Storage.StorageError({
    reason: "failed",
    operation: "open",
    detail: "schema must be 1 to 63 lowercase letters, digits or _, not starting with a digit"
  })

/**
 * Opens a pool, migrates the schema and builds every port over it; the pool closes with the
 * scope. Fails with `StorageError("unavailable")` when the server cannot be reached.
 */
export const make = (options: PgOptions) =>
  Effect.gen(function* () {
    const pool = yield* Effect.acquireRelease(
      Effect.try({ try: () => PgDatabase.pool(options), catch: invalidSchema }),
      (p) => Effect.promise(() => p.end().catch(() => undefined))
    )
    const db = new PgDatabase(pool, options.schema ?? "public")
    yield* db.migrate()
    return ports(db)
  })

/** Every storage port on a PostgreSQL database. */
export const layer = (options: PgOptions): Layer.Layer<Storage.StoragePorts, Storage.StorageError> =>
  Layer.effectContext(make(options))

/**
 * Every storage port over a pool the host manages (its lifetime, TLS, credentials). The pool's
 * connections must not set another `search_path`; pass the schema here.
 */
export const layerFromPool = (
  pool: pg.Pool,
  options: { readonly schema?: string } = {}
): Layer.Layer<Storage.StoragePorts, Storage.StorageError> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const schema = options.schema ?? "public"
      if (!/^[a-z_][a-z0-9_]{0,62}$/u.test(schema)) return yield* invalidSchema()
      pool.on("connect", (client) => {
        client.query(`SET search_path TO ${schema}`).catch(() => undefined)
      })
      const db = new PgDatabase(pool, schema)
      yield* db.migrate()
      return ports(db)
    })
  )

/** Every storage port on the database named by `storage` in the BGA configuration (`kind: "postgres"`). */
export const layerConfig = (
  options: Omit<PgOptions, "url"> = {}
): Layer.Layer<Storage.StoragePorts, Storage.StorageError, BgaConfig.ConfigService> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const config = yield* BgaConfig.ConfigService
      if (config.storage.kind !== "postgres") {
        return yield* new Storage.StorageError({
          reason: "failed",
          operation: "open",
          detail: `storage.kind is "${config.storage.kind}", not "postgres"`
        })
      }
      const url = yield* Effect.mapError(
        Effect.fromResult(BgaConfig.resolveSecret(config.storage.url)),
        (error) => toStorageError("open", error)
      )
      return yield* make({ ...options, url: Redacted.value(url) })
    })
  )
