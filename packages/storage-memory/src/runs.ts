import type { Storage } from "@bga/core"
import { Effect } from "effect"
import { copy, type MemoryStore, scoped } from "./MemoryStore.js"

const byRunId = (order: "asc" | "desc") => (a: Storage.RunRecord, b: Storage.RunRecord) =>
  order === "asc" ? (a.runId < b.runId ? -1 : 1) : a.runId < b.runId ? 1 : -1

/** The run backend over a memory store. */
export const runBackend = (store: MemoryStore): Storage.RunBackend => ({
  insertRun: (run) =>
    Effect.sync(() => {
      const runs = scoped(store.runs, run.customerInstanceId)
      const keys = scoped(store.idempotency, run.customerInstanceId)
      const existingId = runs.has(run.runId)
        ? run.runId
        : run.idempotencyKey === undefined
          ? undefined
          : keys.get(run.idempotencyKey)
      const existing = existingId === undefined ? undefined : runs.get(existingId)
      if (existing !== undefined) return { inserted: false as const, existing: copy(existing.run) }
      runs.set(run.runId, { run: copy(run), rev: 1 })
      if (run.idempotencyKey !== undefined) keys.set(run.idempotencyKey, run.runId)
      return { inserted: true as const }
    }),

  getRun: (ci, runId) =>
    Effect.sync(() => {
      const stored = store.runs.get(ci)?.get(runId)
      return stored === undefined ? undefined : copy(stored)
    }),

  listRuns: (ci, f) =>
    Effect.sync(() => {
      const all = [...(store.runs.get(ci)?.values() ?? [])].map((s) => s.run)
      return all
        .filter(
          (r) =>
            (f.states === undefined || f.states.includes(r.state)) &&
            (f.createdFrom === undefined || r.createdAt >= f.createdFrom) &&
            (f.createdTo === undefined || r.createdAt < f.createdTo) &&
            (f.after === undefined || (f.order === "asc" ? r.runId > f.after : r.runId < f.after))
        )
        .sort(byRunId(f.order))
        .slice(0, f.limit)
        .map(copy)
    }),

  replaceRun: (expectedRev, next) =>
    Effect.sync(() => {
      const runs = scoped(store.runs, next.customerInstanceId)
      const current = runs.get(next.runId)
      if (current === undefined || current.rev !== expectedRev) return false
      runs.set(next.runId, { run: copy(next), rev: expectedRev + 1 })
      return true
    }),

  insertCheckpoint: (checkpoint, fence, now) =>
    Effect.sync(() => {
      const run = store.runs.get(checkpoint.customerInstanceId)?.get(checkpoint.runId)?.run
      if (fence !== undefined) {
        const lease = run?.lease
        if (
          lease === undefined ||
          lease.workerId !== fence.workerId ||
          lease.epoch !== fence.epoch ||
          lease.expiresAt <= now
        ) {
          return "fenced" as const
        }
      }
      const list = scoped(store.checkpoints, checkpoint.customerInstanceId).get(checkpoint.runId) ?? []
      if (list.some((c) => c.seq === checkpoint.seq)) return "seq-taken" as const
      list.push(copy(checkpoint))
      list.sort((a, b) => a.seq - b.seq)
      scoped(store.checkpoints, checkpoint.customerInstanceId).set(checkpoint.runId, list)
      return "inserted" as const
    }),

  latestCheckpoint: (ci, runId) =>
    Effect.sync(() => {
      const last = store.checkpoints.get(ci)?.get(runId)?.at(-1)
      return last === undefined ? undefined : copy(last)
    }),

  listCheckpoints: (ci, runId) => Effect.sync(() => (store.checkpoints.get(ci)?.get(runId) ?? []).map(copy)),

  listExpiredLeases: (ci, now, limit) =>
    Effect.sync(() =>
      [...(store.runs.get(ci)?.values() ?? [])]
        .map((s) => s.run)
        .filter(
          (r) =>
            r.lease !== undefined &&
            r.lease.expiresAt <= now &&
            r.state !== "COMPLETED" &&
            r.state !== "FAILED" &&
            r.state !== "CANCELLED"
        )
        .sort((a, b) => ((a.lease?.expiresAt ?? "") < (b.lease?.expiresAt ?? "") ? -1 : 1))
        .slice(0, limit)
        .map(copy)
    ),

  putRunSnapshot: ({ checkpoints, run }) =>
    Effect.sync(() => {
      const runs = scoped(store.runs, run.customerInstanceId)
      const current = runs.get(run.runId)
      runs.set(run.runId, { run: copy(run), rev: (current?.rev ?? 0) + 1 })
      if (run.idempotencyKey !== undefined)
        scoped(store.idempotency, run.customerInstanceId).set(run.idempotencyKey, run.runId)
      scoped(store.checkpoints, run.customerInstanceId).set(
        run.runId,
        [...checkpoints].sort((a, b) => a.seq - b.seq).map(copy)
      )
    })
})
