import type { Storage } from "@bga/core"
import { attempt, type SqliteDatabase } from "./Database.js"
import { isUniqueViolation } from "./errors.js"

interface RunRow {
  readonly body: string
  readonly rev: number
}

const terminal = "('COMPLETED', 'FAILED', 'CANCELLED')"
const parseRun = (row: RunRow): Storage.StoredRun => ({ run: JSON.parse(row.body), rev: Number(row.rev) })

/** The run backend on SQLite. Run rows keep the record as JSON plus the columns queries need. */
export const runBackend = (db: SqliteDatabase): Storage.RunBackend => {
  const upsert = (run: Storage.RunRecord, rev: number) =>
    db.run(
      `INSERT INTO runs (customer_instance_id, run_id, state, rev, idempotency_key, created_at, lease_expires_at, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (customer_instance_id, run_id) DO UPDATE SET
         state = excluded.state, rev = excluded.rev, idempotency_key = excluded.idempotency_key,
         created_at = excluded.created_at, lease_expires_at = excluded.lease_expires_at, body = excluded.body`,
      run.customerInstanceId,
      run.runId,
      run.state,
      rev,
      run.idempotencyKey ?? null,
      run.createdAt,
      run.lease?.expiresAt ?? null,
      JSON.stringify(run)
    )
  const getRow = (ci: string, runId: string) =>
    db.get("SELECT body, rev FROM runs WHERE customer_instance_id = ? AND run_id = ?", ci, runId) as
      | RunRow
      | undefined

  return {
    insertRun: (run) =>
      attempt("RunStore.create", () =>
        db.write(() => {
          const byId = getRow(run.customerInstanceId, run.runId)
          const byKey =
            byId ??
            (run.idempotencyKey === undefined
              ? undefined
              : (db.get(
                  "SELECT body, rev FROM runs WHERE customer_instance_id = ? AND idempotency_key = ?",
                  run.customerInstanceId,
                  run.idempotencyKey
                ) as RunRow | undefined))
          if (byKey !== undefined) return { inserted: false as const, existing: parseRun(byKey).run }
          upsert(run, 1)
          return { inserted: true as const }
        })
      ),

    getRun: (ci, runId) =>
      attempt("RunStore.get", () => {
        const row = getRow(ci, runId)
        return row === undefined ? undefined : parseRun(row)
      }),

    listRuns: (ci, f) =>
      attempt("RunStore.list", () => {
        const where = ["customer_instance_id = ?"]
        const params: Array<string | number> = [ci]
        if (f.states !== undefined) {
          where.push(`state IN (${f.states.map(() => "?").join(", ")})`)
          params.push(...f.states)
        }
        if (f.createdFrom !== undefined) {
          where.push("created_at >= ?")
          params.push(f.createdFrom)
        }
        if (f.createdTo !== undefined) {
          where.push("created_at < ?")
          params.push(f.createdTo)
        }
        if (f.after !== undefined) {
          where.push(f.order === "asc" ? "run_id > ?" : "run_id < ?")
          params.push(f.after)
        }
        const sql = `SELECT body, rev FROM runs WHERE ${where.join(" AND ")} ORDER BY run_id ${f.order === "asc" ? "ASC" : "DESC"} LIMIT ?`
        return (db.all(sql, ...params, f.limit) as Array<RunRow>).map((r) => parseRun(r).run)
      }),

    replaceRun: (expectedRev, next) =>
      attempt("RunStore.update", () =>
        db.write(() => {
          const current = getRow(next.customerInstanceId, next.runId)
          if (current === undefined || Number(current.rev) !== expectedRev) return false
          upsert(next, expectedRev + 1)
          return true
        })
      ),

    insertCheckpoint: (cp, fence, now) =>
      attempt("RunStore.appendCheckpoint", () =>
        db.write(() => {
          if (fence !== undefined) {
            const row = getRow(cp.customerInstanceId, cp.runId)
            const lease = row === undefined ? undefined : parseRun(row).run.lease
            if (
              lease === undefined ||
              lease.workerId !== fence.workerId ||
              lease.epoch !== fence.epoch ||
              lease.expiresAt <= now
            ) {
              return "fenced" as const
            }
          }
          try {
            db.run(
              "INSERT INTO run_checkpoints (customer_instance_id, run_id, seq, body) VALUES (?, ?, ?, ?)",
              cp.customerInstanceId,
              cp.runId,
              cp.seq,
              JSON.stringify(cp)
            )
            return "inserted" as const
          } catch (error) {
            if (isUniqueViolation(error)) return "seq-taken" as const
            throw error
          }
        })
      ),

    latestCheckpoint: (ci, runId) =>
      attempt("RunStore.latestCheckpoint", () => {
        const row = db.get(
          "SELECT body FROM run_checkpoints WHERE customer_instance_id = ? AND run_id = ? ORDER BY seq DESC LIMIT 1",
          ci,
          runId
        ) as { body: string } | undefined
        return row === undefined ? undefined : (JSON.parse(row.body) as Storage.RunCheckpoint)
      }),

    listCheckpoints: (ci, runId) =>
      attempt("StorageReplica.runs", () =>
        (
          db.all(
            "SELECT body FROM run_checkpoints WHERE customer_instance_id = ? AND run_id = ? ORDER BY seq",
            ci,
            runId
          ) as Array<{ body: string }>
        ).map((r) => JSON.parse(r.body) as Storage.RunCheckpoint)
      ),

    listExpiredLeases: (ci, now, limit) =>
      attempt("RunStore.listExpiredLeases", () =>
        (
          db.all(
            `SELECT body, rev FROM runs WHERE customer_instance_id = ? AND lease_expires_at IS NOT NULL
             AND lease_expires_at <= ? AND state NOT IN ${terminal} ORDER BY lease_expires_at, run_id LIMIT ?`,
            ci,
            now,
            limit
          ) as Array<RunRow>
        ).map((r) => parseRun(r).run)
      ),

    putRunSnapshot: ({ checkpoints, run }) =>
      attempt("StorageReplica.putRun", () =>
        db.write(() => {
          const current = getRow(run.customerInstanceId, run.runId)
          upsert(run, (current === undefined ? 0 : Number(current.rev)) + 1)
          db.run(
            "DELETE FROM run_checkpoints WHERE customer_instance_id = ? AND run_id = ?",
            run.customerInstanceId,
            run.runId
          )
          for (const cp of checkpoints) {
            db.run(
              "INSERT INTO run_checkpoints (customer_instance_id, run_id, seq, body) VALUES (?, ?, ?, ?)",
              cp.customerInstanceId,
              cp.runId,
              cp.seq,
              JSON.stringify(cp)
            )
          }
        })
      )
  }
}
