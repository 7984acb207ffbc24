import { Audit, hashOf, newId, Storage } from "@bga/core"
import { expectError, Fixtures, failureOf } from "@bga/core/testing"
import { StoragePostgres } from "@bga/storage-postgres"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminQuery, freshSchema, pgReachable, pgUrl, skipReason } from "./helpers.js"
import { TcpProxy } from "./proxy.js"

const target = new URL(pgUrl)

describe.skipIf(!pgReachable)(`postgres faults${skipReason}`, () => {
  const schema = freshSchema()
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432))
  let scope: Scope.Closeable
  let ports: Context.Context<Storage.StoragePorts>
  const run = <A, E>(effect: Effect.Effect<A, E, Storage.StoragePorts>) =>
    Effect.runPromise(Effect.provide(effect, ports))
  const count = async (table: string, ci: string) =>
    Number(
      (await adminQuery(`SELECT count(*) AS n FROM ${schema}.${table} WHERE customer_instance_id = $1`, [ci]))
        .rows[0].n
    )

  beforeAll(async () => {
    await proxy.start()
    const url = new URL(pgUrl)
    url.hostname = "127.0.0.1"
    url.port = String(proxy.port)
    scope = await Effect.runPromise(Scope.make())
    ports = await Effect.runPromise(
      Layer.buildWithScope(
        StoragePostgres.layer({ url: url.toString(), schema, maxConnections: 2, connectTimeoutMs: 1000 }),
        scope
      )
    )
  })

  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await proxy.stop()
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  })

  it("an unreachable server is a typed unavailable error that names no address", async () => {
    const error = await Effect.runPromise(
      failureOf(
        Effect.scoped(
          Layer.build(
            StoragePostgres.layer({ url: "postgres://postgres@127.0.0.1:1/postgres", connectTimeoutMs: 1000 })
          )
        )
      )
    )
    expectError(error, "StorageError", "unavailable")
    expect((error as Storage.StorageError).message).not.toContain("127.0.0.1")
  })

  it("while the server is gone every port fails typed, writes nothing, and works again when it is back", async () => {
    const ci = Fixtures.instanceId()
    await run(Audit.AuditLog.use((a) => a.append(ci, { kind: "auth_event", payload: { n: 1 } })))
    await proxy.stop()
    const failures = await run(
      Effect.gen(function* () {
        const audit = yield* Audit.AuditLog
        const runs = yield* Storage.RunStore
        const kv = yield* Storage.KeyValue
        return [
          yield* failureOf(audit.append(ci, { kind: "auth_event", payload: { n: 2 } })),
          yield* failureOf(runs.create(ci, Fixtures.runRequest(ci))),
          yield* failureOf(kv.set(ci, "crm", "k", 1)),
          yield* failureOf(audit.verify(ci))
        ]
      })
    )
    for (const error of failures) expectError(error, "StorageError", "unavailable")
    expect(await count("audit_records", ci)).toBe(1)
    expect(await count("runs", ci)).toBe(0)
    await proxy.start()
    const after = await run(
      Effect.gen(function* () {
        const audit = yield* Audit.AuditLog
        const record = yield* audit.append(ci, { kind: "auth_event", payload: { n: 2 } })
        return { record, report: yield* audit.verify(ci) }
      })
    )
    expect(after.record.seq).toBe(2)
    expect(after.report).toMatchObject({ ok: true, checked: 2 })
  })

  it("a connection dropped in the middle of a batch append leaves no partial batch, and the retry is exact", async () => {
    const ci = Fixtures.instanceId()
    // Explicit record ids make the retry after an unknown outcome exact (no duplicates).
    const entries = Array.from({ length: 500 }, (_, i) => ({
      kind: "auth_event",
      recordId: newId(),
      payload: { i, padding: "p".repeat(1000) }
    }))
    await run(Audit.AuditLog.use((a) => a.append(ci, { kind: "auth_event", payload: { first: true } })))
    proxy.killAfter(200_000)
    const error = await run(Audit.AuditLog.use((a) => failureOf(a.appendAll(ci, entries))))
    expectError(error, "StorageError", "unavailable")
    expect(await count("audit_records", ci)).toBe(1)
    const written = await run(Audit.AuditLog.use((a) => a.appendAll(ci, entries)))
    expect(written.map((r) => r.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 2))
    const again = await run(Audit.AuditLog.use((a) => a.appendAll(ci, entries)))
    expect(again).toEqual(written)
    const report = await run(Audit.AuditLog.use((a) => a.verify(ci)))
    expect(report).toMatchObject({ ok: true, checked: 501 })
  })

  it("a connection dropped inside a multi-statement transaction rolls all of it back", async () => {
    const ci = Fixtures.instanceId()
    const snapshot = await run(
      Effect.gen(function* () {
        const runs = yield* Storage.RunStore
        const replica = yield* Storage.StorageReplica
        const { run: created } = yield* runs.create(ci, Fixtures.runRequest(ci))
        for (let i = 0; i < 3; i++) yield* runs.appendCheckpoint(ci, created.runId, { data: { i } })
        const [s] = yield* replica.runs(ci, { limit: 1 })
        return s!
      })
    )
    const bigger = {
      run: { ...snapshot.run, version: 9 },
      checkpoints: Array.from({ length: 300 }, (_, i) => {
        const data = { i, blob: "c".repeat(2000) }
        return { ...snapshot.checkpoints[0]!, seq: i + 1, data, dataHash: hashOf(data) }
      })
    }
    proxy.killAfter(150_000)
    const error = await run(Storage.StorageReplica.use((r) => failureOf(r.putRun(ci, bigger))))
    expectError(error, "StorageError", "unavailable")
    expect(await count("run_checkpoints", ci)).toBe(3)
    const stored = await run(Storage.RunStore.use((r) => r.get(ci, snapshot.run.runId)))
    expect(stored.version).toBe(1)
  })

  it("a statement blocked past the timeout fails as timeout and writes nothing", async () => {
    const timeoutSchema = freshSchema()
    const ci = Fixtures.instanceId()
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const ctx = yield* Layer.build(
            StoragePostgres.layer({ url: pgUrl, schema: timeoutSchema, statementTimeoutMs: 300 })
          )
          const log = Context.get(ctx, Audit.AuditLog)
          yield* log.append(ci, { kind: "auth_event", payload: {} })
          const locker = new pg.Client({ connectionString: pgUrl })
          yield* Effect.promise(() => locker.connect())
          yield* Effect.promise(() =>
            locker.query(`BEGIN; LOCK TABLE ${timeoutSchema}.audit_records IN ACCESS EXCLUSIVE MODE`)
          )
          const error = yield* failureOf(log.append(ci, { kind: "auth_event", payload: { blocked: true } }))
          yield* Effect.promise(() => locker.query("ROLLBACK"))
          yield* Effect.promise(() => locker.end())
          expectError(error, "StorageError", "timeout")
          const report = yield* log.verify(ci)
          expect(report).toMatchObject({ ok: true, checked: 1 })
          expect((yield* log.append(ci, { kind: "auth_event", payload: { after: true } })).seq).toBe(2)
        })
      ).pipe(
        Effect.ensuring(Effect.promise(() => adminQuery(`DROP SCHEMA IF EXISTS ${timeoutSchema} CASCADE`)))
      )
    )
  })
})
