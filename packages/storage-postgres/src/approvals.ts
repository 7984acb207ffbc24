import type { Storage } from "@bga/core"
import { Effect } from "effect"
import type { PgDatabase } from "./Database.js"

const parse = (row: { body: string }): Storage.ApprovalRecord => JSON.parse(row.body)

/** The approval backend on PostgreSQL. */
export const approvalBackend = (db: PgDatabase): Storage.ApprovalBackend => {
  const upsert = `INSERT INTO approvals (customer_instance_id, approval_id, run_id, status, expires_at, body) VALUES ($1, $2, $3, $4, $5, $6)`
  const values = (r: Storage.ApprovalRecord) => [
    r.customerInstanceId,
    r.approvalId,
    r.runId,
    r.status,
    r.expiresAt,
    JSON.stringify(r)
  ]
  const getOne = (operation: string, ci: string, id: string) =>
    Effect.map(
      db.query<{ body: string }>(
        operation,
        "SELECT body FROM approvals WHERE customer_instance_id = $1 AND approval_id = $2",
        [ci, id]
      ),
      (r) => (r.rows[0] === undefined ? undefined : parse(r.rows[0]))
    )

  return {
    insertApproval: (record) =>
      Effect.gen(function* () {
        const r = yield* db.query("ApprovalStore.create", `${upsert} ON CONFLICT DO NOTHING`, values(record))
        if (r.rowCount === 1) return { inserted: true as const }
        const existing = yield* getOne("ApprovalStore.create", record.customerInstanceId, record.approvalId)
        return { inserted: false as const, existing: existing ?? record }
      }),

    getApproval: (ci, id) => getOne("ApprovalStore.get", ci, id),

    listPending: (ci, f) => {
      const params: Array<unknown> = [ci, f.now]
      const where = ["customer_instance_id = $1", "status = 'pending'", "expires_at > $2"]
      if (f.runId !== undefined) {
        params.push(f.runId)
        where.push(`run_id = $${params.length}`)
      }
      if (f.after !== undefined) {
        params.push(f.after)
        where.push(`approval_id > $${params.length}`)
      }
      params.push(f.limit)
      return Effect.map(
        db.query<{ body: string }>(
          "ApprovalStore.listPending",
          `SELECT body FROM approvals WHERE ${where.join(" AND ")} ORDER BY approval_id LIMIT $${params.length}`,
          params
        ),
        (r) => r.rows.map(parse)
      )
    },

    settleApproval: (next, now, mode) =>
      Effect.map(
        db.query(
          mode === "decide"
            ? "ApprovalStore.resolve"
            : mode === "expire"
              ? "ApprovalStore.expire"
              : "ApprovalStore.consume",
          mode === "consume"
            ? `UPDATE approvals SET status = $3, body = $4 WHERE customer_instance_id = $1 AND approval_id = $2
           AND status = 'approved'`
            : `UPDATE approvals SET status = $3, body = $4 WHERE customer_instance_id = $1 AND approval_id = $2
           AND status = 'pending' AND expires_at ${mode === "decide" ? ">" : "<="} $5`,
          mode === "consume"
            ? [next.customerInstanceId, next.approvalId, next.status, JSON.stringify(next)]
            : [next.customerInstanceId, next.approvalId, next.status, JSON.stringify(next), now]
        ),
        (r) => r.rowCount === 1
      ),

    listDue: (ci, now, limit) =>
      Effect.map(
        db.query<{ body: string }>(
          "ApprovalStore.expire",
          "SELECT body FROM approvals WHERE customer_instance_id = $1 AND status = 'pending' AND expires_at <= $2 ORDER BY approval_id LIMIT $3",
          [ci, now, limit]
        ),
        (r) => r.rows.map(parse)
      ),

    listApprovals: (ci, after, limit) =>
      Effect.map(
        db.query<{ body: string }>(
          "StorageReplica.approvals",
          "SELECT body FROM approvals WHERE customer_instance_id = $1 AND approval_id > $2 ORDER BY approval_id LIMIT $3",
          [ci, after ?? "", limit]
        ),
        (r) => r.rows.map(parse)
      ),

    putApproval: (record) =>
      Effect.asVoid(
        db.query(
          "StorageReplica.putApproval",
          `${upsert} ON CONFLICT (customer_instance_id, approval_id) DO UPDATE SET run_id = excluded.run_id,
             status = excluded.status, expires_at = excluded.expires_at, body = excluded.body`,
          values(record)
        )
      )
  }
}
