import { Effect } from "effect"
import { describe, expect } from "vitest"
import { RunStore } from "../../../storage/RunStore.js"
import { StorageReplica } from "../../../storage/StorageReplica.js"
import { instanceId } from "../../fixtures.js"
import { createRun, expectError, failureOf, type Spec } from "../../harness.js"

/** StorageReplica.runs and putRun: runs move between stores unchanged. */
export const runs: Spec = ({ it, makeLayer }) =>
  describe("StorageReplica.runs / putRun", () => {
    it.effect("copies runs with their lease and checkpoints into another store", () =>
      Effect.gen(function* () {
        const store = yield* RunStore
        const replica = yield* StorageReplica
        const ci = instanceId()
        const a = yield* createRun(ci, { idempotencyKey: "k-1" })
        yield* createRun(ci)
        yield* store.acquireLease(ci, a.runId, { workerId: "w-1", ttlMs: 60_000 })
        yield* store.appendCheckpoint(ci, a.runId, { data: { step: 1 } })
        const first = yield* replica.runs(ci, { limit: 1 })
        const rest = yield* replica.runs(ci, { limit: 10, after: first[0]?.run.runId as string })
        const snapshots = [...first, ...rest]
        expect(snapshots).toHaveLength(2)
        yield* Effect.gen(function* () {
          const target = yield* StorageReplica
          const targetRuns = yield* RunStore
          for (const s of snapshots) yield* target.putRun(ci, s)
          expect(yield* target.runs(ci, { limit: 10 })).toEqual(snapshots)
          const again = yield* targetRuns.create(ci, { ...a.request })
          expect(again).toMatchObject({ created: false, run: { runId: a.runId } })
        }).pipe(Effect.provide(makeLayer()))
      })
    )

    it.effect("refuses snapshots of another instance or with a wrong request hash", () =>
      Effect.gen(function* () {
        const replica = yield* StorageReplica
        const ci = instanceId()
        yield* createRun(ci)
        const [snapshot] = yield* replica.runs(ci, { limit: 1 })
        expectError(yield* failureOf(replica.putRun(instanceId(), snapshot!)), "InvalidInputError")
        const forged = { ...snapshot!, run: { ...snapshot!.run, requestHash: "0".repeat(64) } }
        expectError(yield* failureOf(replica.putRun(ci, forged)), "InvalidInputError")
      })
    )
  })
