import { Audit, Storage } from "@bga/core"
import { createRun, Fixtures } from "@bga/core/testing"
import { StoragePostgres } from "@bga/storage-postgres"
import { Clock, type Context, Effect, Exit, Layer, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminQuery, freshSchema, pgReachable, pgUrl, skipReason } from "./helpers.js"

/**
 * Several replicas (separate pools, separate head caches) on one schema: the guarantees that
 * hold within a process must hold between them.
 */
describe.skipIf(!pgReachable)(`postgres replicas sharing one database${skipReason}`, () => {
  const schema = freshSchema()
  const scope = Effect.runSync(Scope.make())
  const replicas: Array<Context.Context<Storage.StoragePorts>> = []
  const on = <A, E>(i: number, effect: Effect.Effect<A, E, Storage.StoragePorts>) =>
    Effect.provide(effect, replicas[i]!)

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      replicas.push(
        await Effect.runPromise(
          Layer.buildWithScope(StoragePostgres.layer({ url: pgUrl, schema, maxConnections: 4 }), scope)
        )
      )
    }
  })
  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  })

  it("interleaved appends from three replicas form one unforked chain", async () => {
    const ci = Fixtures.instanceId()
    const appends = Array.from({ length: 150 }, (_, i) =>
      on(
        i % 3,
        Audit.AuditLog.use((a) => a.append(ci, { kind: "auth_event", payload: { i, replica: i % 3 } }))
      )
    )
    const written = await Effect.runPromise(Effect.all(appends, { concurrency: 24 }))
    expect(written.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 150 }, (_, i) => i + 1)
    )
    const report = await Effect.runPromise(
      on(
        1,
        Audit.AuditLog.use((a) => a.verify(ci))
      )
    )
    expect(report).toMatchObject({ ok: true, checked: 150 })
  })

  it("one of several replicas racing to resolve an approval wins; one of several racing for a lease wins", async () => {
    const ci = Fixtures.instanceId()
    const now = await Effect.runPromise(Clock.currentTimeMillis)
    const run = await Effect.runPromise(on(0, createRun(ci)))
    const request = Fixtures.approvalRequest(ci, run.runId, now)
    await Effect.runPromise(
      on(
        0,
        Storage.ApprovalStore.use((a) => a.create(ci, request))
      )
    )
    const resolutions = await Effect.runPromise(
      Effect.all(
        Array.from({ length: 9 }, (_, i) =>
          Effect.result(
            on(
              i % 3,
              Storage.ApprovalStore.use((a) =>
                a.resolve(ci, Fixtures.approvalDecision(request, i % 2 ? "approved" : "denied", now))
              )
            )
          )
        ),
        { concurrency: "unbounded" }
      )
    )
    expect(resolutions.filter((r) => r._tag === "Success")).toHaveLength(1)
    const leases = await Effect.runPromise(
      Effect.all(
        Array.from({ length: 9 }, (_, i) =>
          Effect.result(
            on(
              i % 3,
              Storage.RunStore.use((r) =>
                r.acquireLease(ci, run.runId, { workerId: `w-${i}`, ttlMs: 60_000 })
              )
            )
          )
        ),
        { concurrency: "unbounded" }
      )
    )
    expect(leases.filter((r) => r._tag === "Success")).toHaveLength(1)
  })
})
