import type { Storage } from "@bga/core"
import { Effect } from "effect"
import type { PgDatabase } from "./Database.js"

interface RunRow {
  readonly body: string
  readonly rev: string | number
}

const parseRun = (row: RunRow): Storage.StoredRun => ({ run: JSON.parse(row.body), rev: Number(row.rev) })

const runColumns = (run: Storage.RunRecord) => [
  run.customerInstanceId,
  run.runId,
  run.state,
  run.idempotencyKey ?? null,
  run.createdAt,
  run.lease?.workerId ?? null,
  run.lease?.epoch ?? null,
  run.lease?.expiresAt ?? null,
  JSON.stringify(run)
]

const insertCheckpointSql =
  "INSERT INTO run_checkpoints (customer_instance_id, run_id, seq, body) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"

/** The run backend on PostgreSQL: single-statement compare-and-set on `rev`. */
export const runBackend = (db: PgDatabase): Storage.RunBackend => ({
  insertRun: (run) =>
    Effect.gen(function* () {
      const inserted = yield* db.query(
        "RunStore.create",
        `INSERT INTO runs (customer_instance_id, run_id, state, idempotency_key, created_at, lease_worker, lease_epoch, lease_expires_at, body, rev)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) ON CONFLICT DO NOTHING`,
        runColumns(run)
      )
      if (inserted.rowCount === 1) return { inserted: true as const }
      const existing = yield* db.query<RunRow>(
        "RunStore.create",
        `SELECT body, rev FROM runs WHERE customer_instance_id = $1 AND (run_id = $2 OR idempotency_key = $3)
         ORDER BY (run_id = $2) DESC LIMIT 1`,
        [run.customerInstanceId, run.runId, run.idempotencyKey ?? null]
      )
      const row = existing.rows[0]
      // The conflicting row was deleted in between (not something BGA does); report it as taken.
      if (row === undefined) return { inserted: false as const, existing: run }
      return { inserted: false as const, existing: parseRun(row).run }
    }),

  getRun: (ci, runId) =>
    Effect.map(
      db.query<RunRow>(
        "RunStore.get",
        "SELECT body, rev FROM runs WHERE customer_instance_id = $1 AND run_id = $2",
        [ci, runId]
      ),
      (r) => (r.rows[0] === undefined ? undefined : parseRun(r.rows[0]))
    ),

  listRuns: (ci, f) => {
    const params: Array<unknown> = [ci]
    const p = (v: unknown) => {
      params.push(v)
      return `$${params.length}`
    }
    const where = ["customer_instance_id = $1"]
    if (f.states !== undefined) where.push(`state = ANY(${p(f.states)}::text[])`)
    if (f.createdFrom !== undefined) where.push(`created_at >= ${p(f.createdFrom)}`)
    if (f.createdTo !== undefined) where.push(`created_at < ${p(f.createdTo)}`)
    if (f.after !== undefined) where.push(`run_id ${f.order === "asc" ? ">" : "<"} ${p(f.after)}`)
    const sql = `SELECT body, rev FROM runs WHERE ${where.join(" AND ")} ORDER BY run_id ${f.order === "asc" ? "ASC" : "DESC"} LIMIT ${p(f.limit)}`
    return Effect.map(db.query<RunRow>("RunStore.list", sql, params), (r) =>
      r.rows.map((row) => parseRun(row).run)
    )
  },

  replaceRun: (expectedRev, next) =>
    Effect.map(
      db.query(
        "RunStore.update",
        `UPDATE runs SET state = $3, idempotency_key = $4, created_at = $5, lease_worker = $6, lease_epoch = $7,
           lease_expires_at = $8, body = $9, rev = rev + 1
         WHERE customer_instance_id = $1 AND run_id = $2 AND rev = $10`,
        [...runColumns(next), expectedRev]
      ),
      (r) => r.rowCount === 1
    ),

  insertCheckpoint: (cp, fence, now) =>
    fence === undefined
      ? Effect.map(
          db.query("RunStore.appendCheckpoint", insertCheckpointSql, [
            cp.customerInstanceId,
            cp.runId,
            cp.seq,
            JSON.stringify(cp)
          ]),
          (r) => (r.rowCount === 1 ? ("inserted" as const) : ("seq-taken" as const))
        )
      : db.transaction("RunStore.appendCheckpoint", async (client) => {
          // FOR SHARE holds off a lease takeover until this checkpoint is committed.
          const held = await client.query(
            `SELECT 1 FROM runs WHERE customer_instance_id = $1 AND run_id = $2 AND lease_worker = $3
             AND lease_epoch = $4 AND lease_expires_at > $5 FOR SHARE`,
            [cp.customerInstanceId, cp.runId, fence.workerId, fence.epoch, now]
          )
          if (held.rowCount !== 1) return "fenced" as const
          const r = await client.query(insertCheckpointSql, [
            cp.customerInstanceId,
            cp.runId,
            cp.seq,
            JSON.stringify(cp)
          ])
          return r.rowCount === 1 ? ("inserted" as const) : ("seq-taken" as const)
        }),

  latestCheckpoint: (ci, runId) =>
    Effect.map(
      db.query<{ body: string }>(
        "RunStore.latestCheckpoint",
        "SELECT body FROM run_checkpoints WHERE customer_instance_id = $1 AND run_id = $2 ORDER BY seq DESC LIMIT 1",
        [ci, runId]
      ),
      (r) => (r.rows[0] === undefined ? undefined : (JSON.parse(r.rows[0].body) as Storage.RunCheckpoint))
    ),

  listCheckpoints: (ci, runId) =>
    Effect.map(
      db.query<{ body: string }>(
        "StorageReplica.runs",
        "SELECT body FROM run_checkpoints WHERE customer_instance_id = $1 AND run_id = $2 ORDER BY seq",
        [ci, runId]
      ),
      (r) => r.rows.map((row) => JSON.parse(row.body) as Storage.RunCheckpoint)
    ),

  listExpiredLeases: (ci, now, limit) =>
    Effect.map(
      db.query<RunRow>(
        "RunStore.listExpiredLeases",
        `SELECT body, rev FROM runs WHERE customer_instance_id = $1 AND lease_expires_at IS NOT NULL AND lease_expires_at <= $2
         AND state NOT IN ('COMPLETED', 'FAILED', 'CANCELLED') ORDER BY lease_expires_at, run_id LIMIT $3`,
        [ci, now, limit]
      ),
      (r) => r.rows.map((row) => parseRun(row).run)
    ),

  putRunSnapshot: ({ checkpoints, run }) =>
    db.transaction("StorageReplica.putRun", async (client) => {
      await client.query(
        `INSERT INTO runs (customer_instance_id, run_id, state, idempotency_key, created_at, lease_worker, lease_epoch, lease_expires_at, body, rev)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)
         ON CONFLICT (customer_instance_id, run_id) DO UPDATE SET state = excluded.state, idempotency_key = excluded.idempotency_key,
           created_at = excluded.created_at, lease_worker = excluded.lease_worker, lease_epoch = excluded.lease_epoch,
           lease_expires_at = excluded.lease_expires_at, body = excluded.body, rev = runs.rev + 1`,
        runColumns(run)
      )
      await client.query("DELETE FROM run_checkpoints WHERE customer_instance_id = $1 AND run_id = $2", [
        run.customerInstanceId,
        run.runId
      ])
      for (const cp of checkpoints) {
        await client.query(insertCheckpointSql, [cp.customerInstanceId, cp.runId, cp.seq, JSON.stringify(cp)])
      }
    })
})
