import { Context, Effect, Option } from "effect"
import { AuditLog } from "../audit/AuditLog.js"
import type { ChainHead } from "../audit/AuditRecord.js"
import { hashOf } from "../hash.js"
import type { InvalidInputError } from "../json/JsonError.js"
import type { ConflictError, StorageError } from "./errors.js"
import type { StoragePorts } from "./ports.js"
import { StorageReplica } from "./StorageReplica.js"

/** What reconcile found (and mended) for one kind of row. */
export interface RowDivergence {
  readonly checked: number
  /** In the primary, not in the secondary. */
  readonly missing: number
  /** In both, different. */
  readonly different: number
  /** In the secondary only. Key-value extras are deleted when mending; runs and approvals are only reported. */
  readonly extra: number
  readonly mended: number
}

/** The outcome of reconciling one customer instance between two stores. */
export interface ReconcileReport {
  readonly customerInstanceId: string
  readonly audit: {
    readonly primaryHead?: ChainHead
    readonly secondaryHead?: ChainHead
    /** Records copied to the secondary (or that would be, without `mend`). */
    readonly copied: number
    /** Why the chains cannot be made equal by copying, when they cannot. */
    readonly diverged?: string
  }
  readonly runs: RowDivergence
  readonly approvals: RowDivergence
  readonly kv: RowDivergence
  /** True when the stores differed in anything (before mending). */
  readonly divergent: boolean
  /** True when, after this call, the secondary holds exactly what the primary holds. */
  readonly inSync: boolean
}

const page = 500

type Errors = InvalidInputError | ConflictError | StorageError

const emptyCount = { checked: 0, missing: 0, different: 0, extra: 0, mended: 0 }

/**
 * Merges two sorted key streams, calling back for rows only in the primary, only in the
 * secondary, or in both.
 */
const mergeJoin = <A>(
  load: (
    store: Context.Context<StoragePorts>,
    after: A | undefined
  ) => Effect.Effect<ReadonlyArray<A>, Errors>,
  key: (a: A) => string,
  primary: Context.Context<StoragePorts>,
  secondary: Context.Context<StoragePorts>,
  visit: (p: A | undefined, s: A | undefined) => Effect.Effect<void, Errors>
): Effect.Effect<void, Errors> =>
  Effect.gen(function* () {
    let pBuf: ReadonlyArray<A> = []
    let sBuf: ReadonlyArray<A> = []
    let pi = 0
    let si = 0
    let pAfter: A | undefined
    let sAfter: A | undefined
    let pDone = false
    let sDone = false
    for (;;) {
      if (pi >= pBuf.length && !pDone) {
        pBuf = yield* load(primary, pAfter)
        pi = 0
        pDone = pBuf.length < page
        pAfter = pBuf.at(-1) ?? pAfter
      }
      if (si >= sBuf.length && !sDone) {
        sBuf = yield* load(secondary, sAfter)
        si = 0
        sDone = sBuf.length < page
        sAfter = sBuf.at(-1) ?? sAfter
      }
      const p = pBuf[pi]
      const s = sBuf[si]
      if (p === undefined && s === undefined) return
      const order =
        p === undefined ? 1 : s === undefined ? -1 : key(p) < key(s) ? -1 : key(p) > key(s) ? 1 : 0
      if (order < 0) {
        yield* visit(p, undefined)
        pi++
      } else if (order > 0) {
        yield* visit(undefined, s)
        si++
      } else {
        yield* visit(p, s)
        pi++
        si++
      }
    }
  })

/**
 * Compares one customer instance in two stores and, with `mend`, makes the secondary equal to
 * the primary: copies missing audit records (the chain must be a prefix of the primary's),
 * writes missing or different runs, approvals and key-value entries, and deletes key-value
 * entries the primary does not have. Use it to backfill a new store before switching to it,
 * and after a dual-write period in which the secondary failed.
 */
export const reconcile = (
  customerInstanceId: string,
  stores: {
    readonly primary: Context.Context<StoragePorts>
    readonly secondary: Context.Context<StoragePorts>
  },
  options: { readonly mend?: boolean } = {}
): Effect.Effect<ReconcileReport, Errors> =>
  Effect.gen(function* () {
    const mend = options.mend !== false
    const ci = customerInstanceId
    const { primary, secondary } = stores
    const pLog = Context.get(primary, AuditLog)
    const sLog = Context.get(secondary, AuditLog)
    const sRep = Context.get(secondary, StorageReplica)

    // Audit: the secondary's chain must be a prefix of the primary's; copy the rest.
    const pHead = Option.getOrUndefined(yield* pLog.head(ci))
    let sHead = Option.getOrUndefined(yield* sLog.head(ci))
    let copied = 0
    let diverged: string | undefined
    if (sHead !== undefined && (pHead === undefined || sHead.seq > pHead.seq)) {
      diverged = `the secondary's chain is ahead of the primary's (seq ${sHead.seq} > ${pHead?.seq ?? 0})`
    } else if (sHead !== undefined) {
      const [same] = yield* pLog.read(ci, { fromSeq: sHead.seq, limit: 1 })
      if (same !== undefined && same.seq === sHead.seq && same.hash !== sHead.hash) {
        diverged = `the chains differ at seq ${sHead.seq}`
      } else if (same === undefined || same.seq !== sHead.seq) {
        const [first] = yield* pLog.read(ci, { fromSeq: 0, limit: 1 })
        if (first !== undefined && first.seq > sHead.seq + 1) {
          diverged = `the primary pruned records ${sHead.seq + 1} to ${first.seq - 1} that the secondary lacks`
        }
      }
    }
    if (diverged === undefined && pHead !== undefined && (sHead === undefined || sHead.seq < pHead.seq)) {
      let from = sHead === undefined ? 0 : sHead.seq + 1
      for (;;) {
        const records = yield* pLog.read(ci, { fromSeq: from, limit: page })
        if (records.length === 0) break
        if (mend) yield* sLog.importRecords(ci, records)
        copied += records.length
        from = (records.at(-1)?.seq ?? from) + 1
        if (records.length < page) break
      }
      if (mend) sHead = Option.getOrUndefined(yield* sLog.head(ci))
    }

    const rows = <A>(
      load: (
        store: Context.Context<StoragePorts>,
        after: A | undefined
      ) => Effect.Effect<ReadonlyArray<A>, Errors>,
      key: (a: A) => string,
      put: (a: A) => Effect.Effect<void, Errors>,
      remove?: (a: A) => Effect.Effect<void, Errors>
    ) =>
      Effect.gen(function* () {
        const count = { ...emptyCount }
        yield* mergeJoin(load, key, primary, secondary, (p, s) =>
          Effect.gen(function* () {
            count.checked++
            if (p !== undefined && s === undefined) count.missing++
            else if (p === undefined && s !== undefined) count.extra++
            else if (hashOf(p) !== hashOf(s)) count.different++
            else return
            if (!mend) return
            if (p !== undefined) {
              yield* put(p)
              count.mended++
            } else if (s !== undefined && remove !== undefined) {
              yield* remove(s)
              count.mended++
            }
          })
        )
        return count as RowDivergence
      })

    const runs = yield* rows(
      (store, after: { run: { runId: string } } | undefined) =>
        Context.get(store, StorageReplica).runs(ci, {
          limit: page,
          ...(after === undefined ? {} : { after: after.run.runId })
        }),
      (s) => s.run.runId,
      (s) => sRep.putRun(ci, s as never)
    )
    const approvals = yield* rows(
      (store, after: { approvalId: string } | undefined) =>
        Context.get(store, StorageReplica).approvals(ci, {
          limit: page,
          ...(after === undefined ? {} : { after: after.approvalId })
        }),
      (a) => a.approvalId,
      (a) => sRep.putApproval(ci, a as never)
    )
    const kv = yield* rows(
      (store, after: { pluginId: string; key: string } | undefined) =>
        Context.get(store, StorageReplica).kvEntries(ci, {
          limit: page,
          ...(after === undefined ? {} : { after: [after.pluginId, after.key] as const })
        }),
      (e) => `${e.pluginId}\u0000${e.key}`,
      (e) => sRep.putKv(ci, e as never),
      (e) => sRep.deleteKv(ci, e.pluginId, e.key)
    )
    const found = (d: RowDivergence) => d.missing + d.different + d.extra
    const divergent = diverged !== undefined || copied > 0 || found(runs) + found(approvals) + found(kv) > 0
    // Runs and approvals the secondary has on its own are reported, never deleted.
    const unmendable = diverged !== undefined || runs.extra > 0 || approvals.extra > 0
    const inSync = mend ? !unmendable : !divergent
    return {
      customerInstanceId: ci,
      audit: {
        ...(pHead === undefined ? {} : { primaryHead: pHead }),
        ...(sHead === undefined ? {} : { secondaryHead: sHead }),
        copied,
        ...(diverged === undefined ? {} : { diverged })
      },
      runs,
      approvals,
      kv,
      divergent,
      inSync
    }
  })
