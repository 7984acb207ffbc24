import { Audit, type Storage } from "@bga/core"
import { Effect, Result } from "effect"
import type { AuditChainState, MemoryStore } from "./MemoryStore.js"

/** First index whose row has `seq >= target` (rows are in seq order). */
const lowerBound = (rows: ReadonlyArray<Audit.AuditRow>, target: number): number => {
  let lo = 0
  let hi = rows.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((rows[mid] as Audit.AuditRow).seq < target) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The audit backend over a memory store. JavaScript runs one append at a time, so reading the
 * head and pushing the new rows in one synchronous step is atomic.
 */
export const auditBackend = (store: MemoryStore): Audit.AuditBackend => {
  const chain = (ci: string): AuditChainState => {
    let state = store.audit.get(ci)
    if (state === undefined) {
      state = { rows: [], byRecordId: new Map() }
      store.audit.set(ci, state)
    }
    return state
  }
  const headOf = (state: AuditChainState): Audit.ChainHead | undefined => {
    const last = state.rows.at(-1)
    return last === undefined ? undefined : { seq: last.seq, hash: last.hash, ts: last.ts }
  }
  return {
    append: (ci, build, options) =>
      Effect.suspend((): Effect.Effect<Audit.AppendOutcome, Storage.ConflictError> => {
        const state = chain(ci)
        const built = build(headOf(state))
        if (Result.isFailure(built)) return Effect.fail(built.failure)
        const rows = built.success.map(Audit.toRow)
        if (rows.some((r) => state.byRecordId.has(r.recordId))) {
          return Effect.succeed({ _tag: "duplicate-record-id" as const })
        }
        let pruned = 0
        if (options?.pruneThrough !== undefined) {
          const cut = lowerBound(state.rows, options.pruneThrough + 1)
          for (const row of state.rows.slice(0, cut)) state.byRecordId.delete(row.recordId)
          state.rows = state.rows.slice(cut)
          pruned = cut
        }
        for (const row of rows) {
          state.rows.push(row)
          state.byRecordId.set(row.recordId, row)
        }
        return Effect.succeed({ _tag: "appended" as const, records: built.success, pruned })
      }),

    head: (ci) => Effect.sync(() => headOf(chain(ci))),

    firstSeq: (ci) => Effect.sync(() => chain(ci).rows[0]?.seq),

    lastBefore: (ci, ts) =>
      Effect.sync(() => {
        const rows = chain(ci).rows
        for (let i = rows.length - 1; i >= 0; i--) {
          const row = rows[i] as Audit.AuditRow
          if (row.ts < ts) return { seq: row.seq, hash: row.hash }
        }
        return undefined
      }),

    scan: (ci, fromSeq, toSeq, limit) =>
      Effect.sync(() => {
        const rows = chain(ci).rows
        const out: Array<Audit.AuditRow> = []
        for (let i = lowerBound(rows, fromSeq); i < rows.length && out.length < limit; i++) {
          const row = rows[i] as Audit.AuditRow
          if (toSeq !== undefined && row.seq > toSeq) break
          out.push(row)
        }
        return out
      }),

    query: (ci, f) =>
      Effect.sync(() => {
        const rows = chain(ci).rows
        const matches = (r: Audit.AuditRow) =>
          (f.runId === undefined || r.runId === f.runId) &&
          (f.kinds === undefined || f.kinds.includes(r.kind)) &&
          (f.eventType === undefined || r.eventType === f.eventType) &&
          (f.decisionId === undefined || r.decisionId === f.decisionId) &&
          (f.actorId === undefined || r.actorId === f.actorId) &&
          (f.from === undefined || r.ts >= f.from) &&
          (f.to === undefined || r.ts < f.to)
        const out: Array<Audit.AuditRow> = []
        if (f.order === "asc") {
          for (
            let i = lowerBound(rows, (f.afterSeq ?? 0) + 1);
            i < rows.length && out.length < f.limit;
            i++
          ) {
            const row = rows[i] as Audit.AuditRow
            if (matches(row)) out.push(row)
          }
        } else {
          const start = f.afterSeq === undefined ? rows.length - 1 : lowerBound(rows, f.afterSeq) - 1
          for (let i = start; i >= 0 && out.length < f.limit; i--) {
            const row = rows[i] as Audit.AuditRow
            if (matches(row)) out.push(row)
          }
        }
        return out
      }),

    findByRecordId: (ci, recordId) => Effect.sync(() => chain(ci).byRecordId.get(recordId))
  }
}
