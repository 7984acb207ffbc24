import { Audit, type Storage } from "@bga/core"
import { Effect, Result } from "effect"
import { attempt, type SqliteDatabase } from "./Database.js"
import { isUniqueViolation } from "./errors.js"

const columns =
  "customer_instance_id, seq, record_id, kind, ts, run_id, decision_id, actor_id, event_type, payload, prev_hash, hash"

interface SqlRow {
  readonly customer_instance_id: string
  readonly seq: number
  readonly record_id: string
  readonly kind: string
  readonly ts: string
  readonly run_id: string | null
  readonly decision_id: string | null
  readonly actor_id: string | null
  readonly event_type: string | null
  readonly payload: string
  readonly prev_hash: string
  readonly hash: string
}

/** @internal A stored row in the shape core verifies. */
export const toAuditRow = (row: unknown): Audit.AuditRow => {
  const r = row as SqlRow
  return {
    seq: Number(r.seq),
    customerInstanceId: r.customer_instance_id,
    recordId: r.record_id,
    kind: r.kind,
    ts: r.ts,
    runId: r.run_id,
    decisionId: r.decision_id,
    actorId: r.actor_id,
    eventType: r.event_type,
    payload: r.payload,
    prevHash: r.prev_hash,
    hash: r.hash
  }
}

/** @internal The INSERT of one audit row; the benchmark times raw inserts with the same statement. */
export const insertAuditSql = `INSERT INTO audit_records (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

/** @internal Parameters of `insertAuditSql` for a row. */
export const insertAuditParams = (r: Audit.AuditRow) =>
  [
    r.customerInstanceId,
    r.seq,
    r.recordId,
    r.kind,
    r.ts,
    r.runId,
    r.decisionId,
    r.actorId,
    r.eventType,
    r.payload,
    r.prevHash,
    r.hash
  ] as const

/** The single-statement append on a known head (see `fast`). */
const fastInsertSql = `INSERT INTO audit_records (${columns}) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
  WHERE EXISTS (SELECT 1 FROM audit_records WHERE customer_instance_id = ? AND seq = ? AND hash = ?)`

class DuplicateRecordId {}

/**
 * The audit backend on SQLite. An append either reads the head and inserts inside one
 * `BEGIN IMMEDIATE` transaction (SQLite lets one writer at a time hold that lock, across every
 * connection and process), or, for one record on the head this process wrote last, runs one
 * INSERT conditioned on that head still being the newest. Either way no two appends can build
 * on the same head, and `UNIQUE (customer_instance_id, seq)` would refuse a fork even from a
 * writer that bypassed both.
 */
export const auditBackend = (db: SqliteDatabase): Audit.AuditBackend => {
  const heads = new Map<string, Audit.ChainHead>()
  const headOf = (ci: string): Audit.ChainHead | undefined => {
    const row = db.get(
      "SELECT seq, hash, ts FROM audit_records WHERE customer_instance_id = ? ORDER BY seq DESC LIMIT 1",
      ci
    ) as { seq: number; hash: string; ts: string } | undefined
    return row === undefined ? undefined : { seq: Number(row.seq), hash: row.hash, ts: row.ts }
  }

  /**
   * The write path under the write lock: read the head, build, insert (and prune), commit.
   * Returns the records written, a conflict from `build`, or the duplicate marker.
   */
  const locked = (
    ci: string,
    build: Parameters<Audit.AuditBackend["append"]>[1],
    pruneThrough: number | undefined
  ): Result.Result<Audit.AppendOutcome, Storage.ConflictError> => {
    try {
      return db.write(() => {
        const built = build(headOf(ci))
        if (Result.isFailure(built)) return Result.fail(built.failure)
        let pruned = 0
        if (pruneThrough !== undefined) {
          pruned = db.run(
            "DELETE FROM audit_records WHERE customer_instance_id = ? AND seq <= ?",
            ci,
            pruneThrough
          ).changes
        }
        for (const record of built.success) {
          try {
            db.run(insertAuditSql, ...insertAuditParams(Audit.toRow(record)))
          } catch (error) {
            if (isUniqueViolation(error) && takenRecordId(ci, record.recordId)) throw new DuplicateRecordId()
            throw error
          }
        }
        return Result.succeed({ _tag: "appended" as const, records: built.success, pruned })
      })
    } catch (error) {
      if (error instanceof DuplicateRecordId) return Result.succeed({ _tag: "duplicate-record-id" as const })
      throw error
    }
  }

  const takenRecordId = (ci: string, recordId: string) =>
    db.get(
      "SELECT 1 AS x FROM audit_records WHERE customer_instance_id = ? AND record_id = ?",
      ci,
      recordId
    ) !== undefined

  /**
   * The fast path for one record on a cached head: a single INSERT that writes only while the
   * cached head is still the newest record (`UNIQUE (customer_instance_id, seq)` refuses it
   * otherwise). One statement is one transaction, so it costs what a plain insert costs.
   * Returns undefined when the head moved (another process appended) and the locked path must
   * run instead.
   */
  const fast = (
    ci: string,
    head: Audit.ChainHead,
    build: Parameters<Audit.AuditBackend["append"]>[1]
  ): Result.Result<Audit.AppendOutcome, Storage.ConflictError> | undefined => {
    const built = build(head)
    if (Result.isFailure(built)) return Result.fail(built.failure)
    const [record] = built.success
    if (record === undefined || built.success.length !== 1) return undefined
    try {
      const { changes } = db.run(
        fastInsertSql,
        ...insertAuditParams(Audit.toRow(record)),
        ci,
        head.seq,
        head.hash
      )
      return changes === 1
        ? Result.succeed({ _tag: "appended" as const, records: built.success, pruned: 0 })
        : undefined
    } catch (error) {
      if (isUniqueViolation(error)) {
        return takenRecordId(ci, record.recordId)
          ? Result.succeed({ _tag: "duplicate-record-id" as const })
          : undefined
      }
      throw error
    }
  }

  return {
    append: (ci, build, options) =>
      Effect.flatMap(
        attempt("AuditLog.append", (): Result.Result<Audit.AppendOutcome, Storage.ConflictError> => {
          const cached = heads.get(ci)
          const result =
            (cached !== undefined && options?.pruneThrough === undefined
              ? fast(ci, cached, build)
              : undefined) ?? locked(ci, build, options?.pruneThrough)
          heads.delete(ci)
          if (Result.isSuccess(result) && result.success._tag === "appended") {
            const last = result.success.records.at(-1)
            if (last !== undefined) heads.set(ci, { seq: last.seq, hash: last.hash, ts: last.ts })
          }
          return result
        }),
        (result): Effect.Effect<Audit.AppendOutcome, Storage.ConflictError> => Effect.fromResult(result)
      ),

    head: (ci) => attempt("AuditLog.head", () => headOf(ci)),

    firstSeq: (ci) =>
      attempt("AuditLog.verify", () => {
        const row = db.get(
          "SELECT seq FROM audit_records WHERE customer_instance_id = ? ORDER BY seq LIMIT 1",
          ci
        ) as { seq: number } | undefined
        return row === undefined ? undefined : Number(row.seq)
      }),

    lastBefore: (ci, ts) =>
      attempt("AuditLog.prune", () => {
        const row = db.get(
          "SELECT seq, hash FROM audit_records WHERE customer_instance_id = ? AND ts < ? ORDER BY ts DESC, seq DESC LIMIT 1",
          ci,
          ts
        ) as { seq: number; hash: string } | undefined
        return row === undefined ? undefined : { seq: Number(row.seq), hash: row.hash }
      }),

    scan: (ci, fromSeq, toSeq, limit) =>
      attempt("AuditLog.read", () =>
        db
          .all(
            `SELECT ${columns} FROM audit_records WHERE customer_instance_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`,
            ci,
            fromSeq,
            toSeq ?? Number.MAX_SAFE_INTEGER,
            limit
          )
          .map(toAuditRow)
      ),

    query: (ci, f) => attempt("AuditLog.list", () => db.all(...auditQuery(ci, f)).map(toAuditRow)),

    findByRecordId: (ci, recordId) =>
      attempt("AuditLog.append", () => {
        const row = db.get(
          `SELECT ${columns} FROM audit_records WHERE customer_instance_id = ? AND record_id = ?`,
          ci,
          recordId
        )
        return row === undefined ? undefined : toAuditRow(row)
      })
  }
}

/**
 * The SQL of an audit query. Time bounds become sequence bounds first (one index seek each on
 * `(customer_instance_id, ts, seq)`), which is exact because `ts` never decreases along the
 * chain; the `ts` conditions stay as well, so a tampered timestamp can only hide rows, never
 * add foreign ones. Values are always bound parameters.
 */
const auditQuery = (ci: string, f: Audit.AuditFilter): [string, ...Array<string | number>] => {
  const where = ["customer_instance_id = ?"]
  const params: Array<string | number> = [ci]
  const eq = (column: string, value: string | undefined) => {
    if (value === undefined) return
    where.push(`${column} = ?`)
    params.push(value)
  }
  eq("run_id", f.runId)
  eq("event_type", f.eventType)
  eq("decision_id", f.decisionId)
  eq("actor_id", f.actorId)
  if (f.kinds !== undefined) {
    where.push(`kind IN (${f.kinds.map(() => "?").join(", ")})`)
    params.push(...f.kinds)
  }
  const seek =
    "SELECT seq FROM audit_records WHERE customer_instance_id = ? AND ts >= ? ORDER BY ts, seq LIMIT 1"
  if (f.from !== undefined) {
    where.push(`seq >= coalesce((${seek}), 9007199254740991)`, "ts >= ?")
    params.push(ci, f.from, f.from)
  }
  if (f.to !== undefined) {
    where.push(`seq < coalesce((${seek}), 9007199254740991)`, "ts < ?")
    params.push(ci, f.to, f.to)
  }
  if (f.afterSeq !== undefined) {
    where.push(f.order === "asc" ? "seq > ?" : "seq < ?")
    params.push(f.afterSeq)
  }
  const sql = `SELECT ${columns} FROM audit_records WHERE ${where.join(" AND ")} ORDER BY seq ${f.order === "asc" ? "ASC" : "DESC"} LIMIT ?`
  return [sql, ...params, f.limit]
}
