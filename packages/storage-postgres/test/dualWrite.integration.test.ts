import { Audit, Storage } from "@bga/core"
import { dumpInstance, exercise, Fixtures } from "@bga/core/testing"
import { StoragePostgres } from "@bga/storage-postgres"
import { StorageSqlite } from "@bga/storage-sqlite"
import { type Context, Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminQuery, freshSchema, pgReachable, pgUrl, skipReason } from "./helpers.js"
import { TcpProxy } from "./proxy.js"
import { tempDbPath } from "./sqliteTemp.js"

type Ports = Context.Context<Storage.StoragePorts | Storage.DualWriteControl>
const on = <A, E>(
  ctx: Context.Context<Storage.StoragePorts> | Ports,
  effect: Effect.Effect<A, E, Storage.StoragePorts | Storage.DualWriteControl>
) => Effect.provide(effect, ctx as Ports)

describe.skipIf(!pgReachable)(`dual-write migration from SQLite to PostgreSQL${skipReason}`, () => {
  const schemas: Array<string> = []
  const target = new URL(pgUrl)
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432))
  const viaProxy = () => {
    const url = new URL(pgUrl)
    url.hostname = "127.0.0.1"
    url.port = String(proxy.port)
    return url.toString()
  }
  const pgLayer = (url: string) => {
    const schema = freshSchema()
    schemas.push(schema)
    return StoragePostgres.layer({ url, schema, maxConnections: 2, connectTimeoutMs: 1000 })
  }
  beforeAll(() => proxy.start())
  afterAll(async () => {
    await proxy.stop()
    for (const schema of schemas) await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  })

  it("backfills PostgreSQL, cuts over, and rolls back to SQLite with nothing lost", async () => {
    const ci = Fixtures.instanceId()
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const oldStore = yield* Layer.build(StorageSqlite.layer({ path: tempDbPath() }))
          const newStore = yield* Layer.build(pgLayer(pgUrl))
          yield* on(oldStore, exercise(ci, "before"))
          yield* on(oldStore, exercise(ci, "before-2"))
          const phase1 = Storage.makeDualWrite(oldStore, newStore)
          const backfill = yield* on(
            phase1,
            Storage.DualWriteControl.use((c) => c.reconcile(ci))
          )
          expect(backfill).toMatchObject({
            inSync: true,
            audit: { copied: 12 },
            runs: { missing: 2 },
            kv: { missing: 2 }
          })
          yield* on(phase1, exercise(ci, "phase-1"))
          const phase2 = Storage.makeDualWrite(newStore, oldStore)
          yield* on(phase2, exercise(ci, "phase-2"))
          const rolledBack = yield* on(oldStore, dumpInstance(ci))
          expect(rolledBack).toEqual(yield* on(newStore, dumpInstance(ci)))
          expect(rolledBack.runs).toHaveLength(4)
          expect(rolledBack.audit).toHaveLength(24)
          expect(
            yield* on(
              oldStore,
              Audit.AuditLog.use((a) => a.verify(ci))
            )
          ).toMatchObject({ ok: true, checked: 24 })
          expect(
            yield* Storage.reconcile(ci, { primary: oldStore, secondary: newStore }, { mend: false })
          ).toMatchObject({
            divergent: false,
            inSync: true
          })
        })
      )
    )
  })

  it("records the writes PostgreSQL missed while it was down, and mends them when it is back", async () => {
    const ci = Fixtures.instanceId()
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const primary = yield* Layer.build(StorageSqlite.layer({ path: tempDbPath() }))
          const secondary = yield* Layer.build(pgLayer(viaProxy()))
          const dual = Storage.makeDualWrite(primary, secondary)
          yield* on(dual, exercise(ci, "up"))
          yield* Effect.promise(() => proxy.stop())
          yield* on(dual, exercise(ci, "down"))
          const control = yield* on(dual, Storage.DualWriteControl.use(Effect.succeed))
          expect(control.divergent()).toEqual([ci])
          yield* Effect.promise(() => proxy.start())
          const report = yield* control.reconcile(ci)
          expect(report).toMatchObject({ divergent: true, inSync: true, audit: { copied: 6 } })
          expect(control.divergent()).toEqual([])
          expect(yield* on(secondary, dumpInstance(ci))).toEqual(yield* on(primary, dumpInstance(ci)))
        })
      )
    )
  })
})
