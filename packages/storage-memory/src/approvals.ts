import type { Storage } from "@bga/core"
import { Effect } from "effect"
import { copy, type MemoryStore, scoped } from "./MemoryStore.js"

const byId = (a: Storage.ApprovalRecord, b: Storage.ApprovalRecord) => (a.approvalId < b.approvalId ? -1 : 1)

/** The approval backend over a memory store. */
export const approvalBackend = (store: MemoryStore): Storage.ApprovalBackend => {
  const all = (ci: string) => [...(store.approvals.get(ci)?.values() ?? [])]
  return {
    insertApproval: (record) =>
      Effect.sync(() => {
        const map = scoped(store.approvals, record.customerInstanceId)
        const existing = map.get(record.approvalId)
        if (existing !== undefined) return { inserted: false as const, existing: copy(existing) }
        map.set(record.approvalId, copy(record))
        return { inserted: true as const }
      }),

    getApproval: (ci, id) =>
      Effect.sync(() => {
        const record = store.approvals.get(ci)?.get(id)
        return record === undefined ? undefined : copy(record)
      }),

    listPending: (ci, f) =>
      Effect.sync(() =>
        all(ci)
          .filter(
            (a) =>
              a.status === "pending" &&
              a.expiresAt > f.now &&
              (f.runId === undefined || a.runId === f.runId) &&
              (f.after === undefined || a.approvalId > f.after)
          )
          .sort(byId)
          .slice(0, f.limit)
          .map(copy)
      ),

    settleApproval: (next, now, mode) =>
      Effect.sync(() => {
        const map = scoped(store.approvals, next.customerInstanceId)
        const current = map.get(next.approvalId)
        if (current === undefined) return false
        if (mode === "consume") {
          if (current.status !== "approved") return false
        } else {
          if (current.status !== "pending") return false
          if (mode === "decide" ? current.expiresAt <= now : current.expiresAt > now) return false
        }
        map.set(next.approvalId, copy(next))
        return true
      }),

    listDue: (ci, now, limit) =>
      Effect.sync(() =>
        all(ci)
          .filter((a) => a.status === "pending" && a.expiresAt <= now)
          .sort(byId)
          .slice(0, limit)
          .map(copy)
      ),

    listApprovals: (ci, after, limit) =>
      Effect.sync(() =>
        all(ci)
          .filter((a) => after === undefined || a.approvalId > after)
          .sort(byId)
          .slice(0, limit)
          .map(copy)
      ),

    putApproval: (record) =>
      Effect.sync(() => {
        scoped(store.approvals, record.customerInstanceId).set(record.approvalId, copy(record))
      })
  }
}
