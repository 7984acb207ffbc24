import { DatabaseSync } from "node:sqlite"
import { Audit, Storage } from "@bga/core"
import { dumpInstance, exercise, expectError, Fixtures, failureOf } from "@bga/core/testing"
import { MemoryStore, StorageMemory } from "@bga/storage-memory"
import { StorageSqlite } from "@bga/storage-sqlite"
import { type Context, Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { tempDbPath } from "./helpers.js"

type Ports = Context.Context<Storage.StoragePorts>
const on = <A, E>(
  ctx: Context.Context<never> | Ports,
  effect: Effect.Effect<A, E, Storage.StoragePorts | Storage.DualWriteControl>
) => Effect.provide(effect, ctx as Context.Context<Storage.StoragePorts | Storage.DualWriteControl>)

describe("dual-write migration from memory to SQLite", () => {
  it("backfills, mirrors every write both ways, and rolls back to the old store with nothing lost", async () => {
    const ci = Fixtures.instanceId()
    const oldStore = StorageMemory.make(new MemoryStore())
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const newStore = yield* Layer.build(StorageSqlite.layer({ path: tempDbPath() }))
          // Before the migration: the old store alone.
          yield* on(oldStore, exercise(ci, "before"))

          // Phase 1: old primary, new secondary; reconcile backfills the new store.
          const phase1 = Storage.makeDualWrite(oldStore, newStore)
          const backfill = yield* on(
            phase1,
            Storage.DualWriteControl.use((c) => c.reconcile(ci))
          )
          expect(backfill).toMatchObject({
            divergent: true,
            inSync: true,
            audit: { copied: 6 },
            runs: { missing: 1, mended: 1 }
          })
          yield* on(phase1, exercise(ci, "phase-1"))
          expect(yield* on(newStore, dumpInstance(ci))).toEqual(yield* on(oldStore, dumpInstance(ci)))

          // Phase 2: cut over; the old store follows as the secondary.
          const phase2 = Storage.makeDualWrite(newStore, oldStore)
          yield* on(phase2, exercise(ci, "phase-2"))
          yield* Effect.sleep("5 millis")
          const pruned = yield* on(
            phase2,
            Audit.AuditLog.use((a) => a.prune(ci, { before: new Date().toISOString() }))
          )
          expect(pruned.pruned).toBe(18)
          yield* on(phase2, exercise(ci, "after-prune"))

          // Roll back: the old store alone has everything the new one has.
          const before = yield* on(newStore, dumpInstance(ci))
          const after = yield* on(oldStore, dumpInstance(ci))
          expect(after).toEqual(before)
          expect(after.runs).toHaveLength(4)
          expect(after.runs.every((r) => r.run.state === "COMPLETED")).toBe(true)
          for (const store of [oldStore, newStore]) {
            expect(
              yield* on(
                store,
                Audit.AuditLog.use((a) => a.verify(ci))
              )
            ).toMatchObject({ ok: true })
          }
          const check = yield* Storage.reconcile(
            ci,
            { primary: oldStore, secondary: newStore },
            { mend: false }
          )
          expect(check).toMatchObject({ divergent: false, inSync: true })
          yield* on(oldStore, exercise(ci, "rolled-back"))
        })
      )
    )
  })

  it("keeps serving when the secondary fails, marks the instance, and reconcile mends it", async () => {
    const ci = Fixtures.instanceId()
    const path = tempDbPath()
    const primary = StorageMemory.make(new MemoryStore())
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const secondary = yield* Layer.build(StorageSqlite.layer({ path, busyTimeoutMs: 20 }))
          const dual = Storage.makeDualWrite(primary, secondary)
          yield* on(dual, exercise(ci, "healthy"))
          // Another process holds the SQLite write lock: every secondary write fails as busy.
          const blocker = new DatabaseSync(path)
          blocker.exec("BEGIN IMMEDIATE")
          const runId = yield* on(dual, exercise(ci, "blocked"))
          blocker.exec("ROLLBACK")
          blocker.close()
          const control = yield* on(dual, Storage.DualWriteControl.use(Effect.succeed))
          expect(control.divergent()).toEqual([ci])
          expect(control.failures()).toBeGreaterThan(0)
          expect(
            (yield* on(
              dual,
              Storage.RunStore.use((r) => r.get(ci, runId))
            )).state
          ).toBe("COMPLETED")
          const report = yield* control.reconcile(ci)
          expect(report).toMatchObject({ divergent: true, inSync: true })
          expect(report.audit.copied).toBeGreaterThan(0)
          expect(control.divergent()).toEqual([])
          expect(yield* on(secondary, dumpInstance(ci))).toEqual(yield* on(primary, dumpInstance(ci)))
        })
      )
    )
  })

  it("in fail mode, reports the secondary's error while the primary keeps the write", async () => {
    const ci = Fixtures.instanceId()
    const path = tempDbPath()
    const primary = StorageMemory.make(new MemoryStore())
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const secondary = yield* Layer.build(StorageSqlite.layer({ path, busyTimeoutMs: 20 }))
          const dual = Storage.makeDualWrite(primary, secondary, { onSecondaryFailure: "fail" })
          const blocker = new DatabaseSync(path)
          blocker.exec("BEGIN IMMEDIATE")
          const error = yield* on(dual, failureOf(Storage.KeyValue.use((kv) => kv.set(ci, "crm", "k", 1))))
          blocker.exec("ROLLBACK")
          blocker.close()
          expectError(error, "StorageError", "busy")
          const kept = yield* on(
            primary,
            Storage.KeyValue.use((kv) => kv.get(ci, "crm", "k"))
          )
          expect(kept._tag).toBe("Some")
        })
      )
    )
  })
})
