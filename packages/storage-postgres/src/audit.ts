import { Audit, Storage } from "@bga/core"
import { Effect, Result, Semaphore } from "effect"
import { ignore, type PgDatabase, type TxClient } from "./Database.js"
import { isUniqueViolation, toStorageError } from "./errors.js"

const columns =
  "customer_instance_id, seq, record_id, kind, ts, run_id, decision_id, actor_id, event_type, payload, prev_hash, hash"

interface SqlRow {
  readonly customer_instance_id: string
  readonly seq: string | number
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

const toAuditRow = (r: SqlRow): Audit.AuditRow => ({
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
})

/** The advisory lock key of an instance's chain. */
export const chainLockKey = (ci: string): string => `bga-audit:${ci}`

/**
 * One INSERT of a batch of rows, conditioned on the head it was built from: it writes only if
 * the record at the head's `seq` still has the head's hash (or, for an empty chain, if the
 * instance has no record at all). `PRIMARY KEY (customer_instance_id, seq)` makes two writers
 * that built on the same head collide: exactly one wins, the other re-reads the head and
 * rebuilds. So the chain cannot fork, across any number of replicas.
 *
 * With `gate`, the statement also takes the instance's advisory lock for its own duration
 * (`pg_try_advisory_xact_lock`, evaluated once) and writes nothing while another writer holds
 * it: a writer on the fast path never overtakes one queued on the lock, so nobody starves.
 */
export const conditionalInsert = (
  ci: string,
  head: Audit.ChainHead | undefined,
  rows: ReadonlyArray<Audit.AuditRow>,
  gate = false
): readonly [string, Array<unknown>] => {
  const single = rows.length === 1 ? rows[0] : undefined
  // One row binds scalars (the hot path: no array literals to build and parse); a batch binds
  // one array per column and unnests them.
  const params: Array<unknown> =
    single !== undefined
      ? [
          ci,
          single.seq,
          single.recordId,
          single.kind,
          single.ts,
          single.runId,
          single.decisionId,
          single.actorId,
          single.eventType,
          single.payload,
          single.prevHash,
          single.hash
        ]
      : [
          ci,
          ...(
            [
              "seq",
              "recordId",
              "kind",
              "ts",
              "runId",
              "decisionId",
              "actorId",
              "eventType",
              "payload",
              "prevHash",
              "hash"
            ] as const
          ).map((k) => rows.map((r) => r[k]))
        ]
  const p = (v: unknown) => {
    params.push(v)
    return `$${params.length}`
  }
  const conditions = [
    head === undefined
      ? "NOT EXISTS (SELECT 1 FROM audit_records WHERE customer_instance_id = $1)"
      : `EXISTS (SELECT 1 FROM audit_records WHERE customer_instance_id = $1 AND seq = ${p(head.seq)} AND hash = ${p(head.hash)})`
  ]
  const gateCte = gate
    ? `WITH gate AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(hashtext(${p(chainLockKey(ci))})) AS open) `
    : ""
  if (gate) conditions.push("(SELECT open FROM gate)")
  const source =
    single !== undefined
      ? "SELECT $1, $2::bigint, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12"
      : `SELECT $1, t.* FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
      $9::text[], $10::text[], $11::text[], $12::text[]) AS t`
  const sql = `${gateCte}INSERT INTO audit_records (${columns})
    ${source}
    WHERE ${conditions.join(" AND ")}`
  return [sql, params]
}

/** The raw INSERT of one row; the benchmark times it against chained appends. */
export const insertAuditSql = `INSERT INTO audit_records (${columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`

/** Most times an append rebuilds on a moved head before `StorageError("contention")`. */
const maxAttempts = 16

/** Appends to one instance are queued in this process on one of these (by instance hash). */
const stripes = 64

type Attempt =
  | { readonly _tag: "done"; readonly outcome: Audit.AppendOutcome }
  | { readonly _tag: "retry" }
  | { readonly _tag: "failed"; readonly error: Storage.ConflictError }

const stripeOf = (ci: string): number => {
  let h = 0
  for (let i = 0; i < ci.length; i++) h = (h * 31 + ci.charCodeAt(i)) | 0
  return Math.abs(h) % stripes
}

/**
 * The audit backend on PostgreSQL.
 *
 * Within a process, appends to one instance wait their turn (a striped semaphore), so a replica
 * never races itself and its cached head stays right. Between replicas the first try is the
 * single conditional INSERT on the cached head (one round trip); when another replica moved the
 * head, the retry takes a transaction-scoped advisory lock on the instance, re-reads the head
 * under it and inserts, so contending replicas queue fairly instead of retrying in a loop.
 */
export const auditBackend = (db: PgDatabase): Audit.AuditBackend => {
  const heads = new Map<string, Audit.ChainHead | undefined>()
  const locks = Array.from({ length: stripes }, () => Semaphore.makeUnsafe(1))

  const loadHead = (ci: string) =>
    Effect.map(
      db.query<{ seq: string; hash: string; ts: string }>(
        "AuditLog.head",
        "SELECT seq, hash, ts FROM audit_records WHERE customer_instance_id = $1 ORDER BY seq DESC LIMIT 1",
        [ci]
      ),
      (r) => {
        const row = r.rows[0]
        return row === undefined ? undefined : { seq: Number(row.seq), hash: row.hash, ts: row.ts }
      }
    )

  const headIn = async (client: TxClient, ci: string): Promise<Audit.ChainHead | undefined> => {
    const r = await client.query(
      "SELECT seq, hash, ts FROM audit_records WHERE customer_instance_id = $1 ORDER BY seq DESC LIMIT 1",
      [ci]
    )
    const row = r.rows[0] as { seq: string; hash: string; ts: string } | undefined
    return row === undefined ? undefined : { seq: Number(row.seq), hash: row.hash, ts: row.ts }
  }

  type Written =
    | { readonly written: true; readonly records: ReadonlyArray<Audit.AuditRecord>; readonly pruned: number }
    | { readonly written: false }
    | { readonly failed: Storage.ConflictError; readonly written: false }

  /** One INSERT on the cached head. */
  const optimistic = async (
    ci: string,
    head: Audit.ChainHead,
    records: ReadonlyArray<Audit.AuditRecord>
  ): Promise<Written> => {
    const [sql, params] = conditionalInsert(ci, head, records.map(Audit.toRow), true)
    // A named statement is parsed and planned once per connection: this is the hot path.
    const name = records.length === 1 ? "bga_audit_append_one" : "bga_audit_append_batch"
    const r = await db.pool.query({ name, text: sql, values: params })
    return r.rowCount === records.length ? { written: true, records, pruned: 0 } : { written: false }
  }

  /** Under the instance's advisory lock: read the head, build, insert, prune. */
  const locked = async (
    ci: string,
    build: Parameters<Audit.AuditBackend["append"]>[1],
    pruneThrough: number | undefined
  ): Promise<Written> => {
    const client = await db.pool.connect()
    client.on("error", ignore)
    let failure: unknown
    try {
      await client.query("BEGIN")
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [chainLockKey(ci)])
      const head = await headIn(client, ci)
      const built = build(head)
      if (Result.isFailure(built)) {
        await client.query("ROLLBACK")
        return { failed: built.failure, written: false }
      }
      const records = built.success
      const [sql, params] = conditionalInsert(ci, head, records.map(Audit.toRow))
      const inserted = await client.query(sql, params)
      if (inserted.rowCount !== records.length) {
        await client.query("ROLLBACK")
        return { written: false }
      }
      let pruned = 0
      if (pruneThrough !== undefined) {
        const d = await client.query(
          "DELETE FROM audit_records WHERE customer_instance_id = $1 AND seq <= $2",
          [ci, pruneThrough]
        )
        pruned = d.rowCount ?? 0
      }
      await client.query("COMMIT")
      return { written: true, records, pruned }
    } catch (error) {
      failure = error
      await client.query("ROLLBACK").catch(() => undefined)
      throw error
    } finally {
      client.off("error", ignore)
      client.release(
        failure !== undefined && toStorageError("", failure).reason === "unavailable"
          ? (failure as Error)
          : undefined
      )
    }
  }

  const attempt = (
    ci: string,
    build: Parameters<Audit.AuditBackend["append"]>[1],
    pruneThrough: number | undefined,
    first: boolean
  ): Effect.Effect<Attempt, Storage.StorageError> =>
    Effect.gen(function* () {
      const cached = heads.get(ci)
      let run: () => Promise<Written>
      if (first && cached !== undefined && pruneThrough === undefined) {
        const built = build(cached)
        if (Result.isFailure(built)) return { _tag: "failed", error: built.failure } as const
        run = () => optimistic(ci, cached, built.success)
      } else {
        run = () => locked(ci, build, pruneThrough)
      }
      const result = yield* Effect.tryPromise({ try: run, catch: (error) => error }).pipe(
        Effect.catch((error): Effect.Effect<"duplicate" | Written, Storage.StorageError> => {
          heads.delete(ci)
          if (isUniqueViolation(error, "audit_record_id")) return Effect.succeed("duplicate" as const)
          if (isUniqueViolation(error)) return Effect.succeed({ written: false })
          return Effect.fail(toStorageError("AuditLog.append", error))
        })
      )
      if (result === "duplicate") return { _tag: "done", outcome: { _tag: "duplicate-record-id" } } as const
      if ("failed" in result) return { _tag: "failed", error: result.failed } as const
      if (!result.written) {
        heads.delete(ci)
        return { _tag: "retry" } as const
      }
      const last = result.records.at(-1)
      if (last !== undefined) heads.set(ci, { seq: last.seq, hash: last.hash, ts: last.ts })
      return {
        _tag: "done",
        outcome: { _tag: "appended", records: result.records, pruned: result.pruned }
      } as const
    })

  return {
    append: (ci, build, options) =>
      (locks[stripeOf(ci)] as Semaphore.Semaphore).withPermit(
        Effect.gen(function* () {
          for (let i = 0; i < maxAttempts; i++) {
            const r = yield* attempt(ci, build, options?.pruneThrough, i === 0)
            if (r._tag === "done") return r.outcome
            if (r._tag === "failed") return yield* r.error
          }
          return yield* new Storage.StorageError({
            reason: "contention",
            operation: "AuditLog.append",
            detail: `the head moved ${maxAttempts} times in a row`
          })
        })
      ),

    head: (ci) => loadHead(ci),

    firstSeq: (ci) =>
      Effect.map(
        db.query<{ seq: string }>(
          "AuditLog.verify",
          "SELECT seq FROM audit_records WHERE customer_instance_id = $1 ORDER BY seq LIMIT 1",
          [ci]
        ),
        (r) => (r.rows[0] === undefined ? undefined : Number(r.rows[0].seq))
      ),

    lastBefore: (ci, ts) =>
      Effect.map(
        db.query<{ seq: string; hash: string }>(
          "AuditLog.prune",
          "SELECT seq, hash FROM audit_records WHERE customer_instance_id = $1 AND ts < $2 ORDER BY ts DESC, seq DESC LIMIT 1",
          [ci, ts]
        ),
        (r) => (r.rows[0] === undefined ? undefined : { seq: Number(r.rows[0].seq), hash: r.rows[0].hash })
      ),

    scan: (ci, fromSeq, toSeq, limit) =>
      Effect.map(
        db.query<SqlRow>(
          "AuditLog.read",
          `SELECT ${columns} FROM audit_records WHERE customer_instance_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq LIMIT $4`,
          [ci, fromSeq, toSeq ?? Number.MAX_SAFE_INTEGER, limit]
        ),
        (r) => r.rows.map(toAuditRow)
      ),

    query: (ci, f) => {
      const [sql, params] = auditQuery(ci, f)
      return Effect.map(db.query<SqlRow>("AuditLog.list", sql, params), (r) => r.rows.map(toAuditRow))
    },

    findByRecordId: (ci, recordId) =>
      Effect.map(
        db.query<SqlRow>(
          "AuditLog.append",
          `SELECT ${columns} FROM audit_records WHERE customer_instance_id = $1 AND record_id = $2`,
          [ci, recordId]
        ),
        (r) => (r.rows[0] === undefined ? undefined : toAuditRow(r.rows[0]))
      )
  }
}

/**
 * The SQL of an audit query (see the SQLite adapter for why time bounds become sequence
 * bounds). Values are always bound parameters.
 */
const auditQuery = (ci: string, f: Audit.AuditFilter): readonly [string, Array<unknown>] => {
  const params: Array<unknown> = [ci]
  const p = (v: unknown) => {
    params.push(v)
    return `$${params.length}`
  }
  const where = ["customer_instance_id = $1"]
  if (f.runId !== undefined) where.push(`run_id = ${p(f.runId)}`)
  if (f.eventType !== undefined) where.push(`event_type = ${p(f.eventType)}`)
  if (f.decisionId !== undefined) where.push(`decision_id = ${p(f.decisionId)}`)
  if (f.actorId !== undefined) where.push(`actor_id = ${p(f.actorId)}`)
  if (f.kinds !== undefined) where.push(`kind = ANY(${p(f.kinds)}::text[])`)
  const seek = (ts: string) =>
    `coalesce((SELECT seq FROM audit_records WHERE customer_instance_id = $1 AND ts >= ${p(ts)} ORDER BY ts, seq LIMIT 1), 9007199254740991)`
  if (f.from !== undefined) where.push(`seq >= ${seek(f.from)}`, `ts >= ${p(f.from)}`)
  if (f.to !== undefined) where.push(`seq < ${seek(f.to)}`, `ts < ${p(f.to)}`)
  if (f.afterSeq !== undefined) where.push(`seq ${f.order === "asc" ? ">" : "<"} ${p(f.afterSeq)}`)
  const sql = `SELECT ${columns} FROM audit_records WHERE ${where.join(" AND ")} ORDER BY seq ${f.order === "asc" ? "ASC" : "DESC"} LIMIT ${p(f.limit)}`
  return [sql, params]
}
