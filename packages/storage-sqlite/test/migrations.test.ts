import { DatabaseSync } from "node:sqlite"
import { Storage } from "@bga/core"
import { expectError, Fixtures, failureOf } from "@bga/core/testing"
import { StorageSqlite } from "@bga/storage-sqlite"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { tempDbPath } from "./helpers.js"

describe("SQLite store files", () => {
  it("records the schema version, uses WAL, and keeps data across reopen", async () => {
    const path = tempDbPath()
    const ci = Fixtures.instanceId()
    const created = await Effect.runPromise(
      Effect.gen(function* () {
        const runs = yield* Storage.RunStore
        return (yield* runs.create(ci, Fixtures.runRequest(ci))).run
      }).pipe(Effect.provide(StorageSqlite.layer({ path })))
    )
    const again = await Effect.runPromise(
      Effect.gen(function* () {
        const runs = yield* Storage.RunStore
        return yield* runs.get(ci, created.runId)
      }).pipe(Effect.provide(StorageSqlite.layer({ path, synchronous: "NORMAL" })))
    )
    expect(again).toEqual(created)
    const db = new DatabaseSync(path)
    expect(db.prepare("SELECT version FROM bga_migrations").all()).toEqual([{ version: 1 }])
    expect(db.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" })
    db.close()
  })

  it("refuses a file whose schema is newer than the adapter, with a typed error", async () => {
    const path = tempDbPath()
    await Effect.runPromise(Effect.scoped(Layer.build(StorageSqlite.layer({ path }))))
    const db = new DatabaseSync(path)
    db.prepare("INSERT INTO bga_migrations (version, name, applied_at) VALUES (99, 'future', 'x')").run()
    db.close()
    const error = await Effect.runPromise(
      failureOf(Effect.scoped(Layer.build(StorageSqlite.layer({ path }))))
    )
    expectError(error, "StorageError", "migration")
  })

  it("says unavailable, not a driver error, when the file cannot be opened", async () => {
    const error = await Effect.runPromise(
      failureOf(
        Effect.scoped(Layer.build(StorageSqlite.layer({ path: "/nonexistent-dir/for/sure/bga.sqlite" })))
      )
    )
    expectError(error, "StorageError", "unavailable")
    expect((error as Storage.StorageError).message).not.toContain("/nonexistent-dir")
  })
})
