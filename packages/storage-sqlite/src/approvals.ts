import type { Storage } from "@bga/core"
import { attempt, type SqliteDatabase } from "./Database.js"

const parse = (row: unknown): Storage.ApprovalRecord => JSON.parse((row as { body: string }).body)

/** The approval backend on SQLite. */
export const approvalBackend = (db: SqliteDatabase): Storage.ApprovalBackend => {
  const put = (r: Storage.ApprovalRecord) =>
    db.run(
      `INSERT INTO approvals (customer_instance_id, approval_id, run_id, status, expires_at, body) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (customer_instance_id, approval_id) DO UPDATE SET
         run_id = excluded.run_id, status = excluded.status, expires_at = excluded.expires_at, body = excluded.body`,
      r.customerInstanceId,
      r.approvalId,
      r.runId,
      r.status,
      r.expiresAt,
      JSON.stringify(r)
    )
  const getOne = (ci: string, id: string) =>
    db.get("SELECT body FROM approvals WHERE customer_instance_id = ? AND approval_id = ?", ci, id)

  return {
    insertApproval: (record) =>
      attempt("ApprovalStore.create", () =>
        db.write(() => {
          const existing = getOne(record.customerInstanceId, record.approvalId)
          if (existing !== undefined) return { inserted: false as const, existing: parse(existing) }
          put(record)
          return { inserted: true as const }
        })
      ),

    getApproval: (ci, id) =>
      attempt("ApprovalStore.get", () => {
        const row = getOne(ci, id)
        return row === undefined ? undefined : parse(row)
      }),

    listPending: (ci, f) =>
      attempt("ApprovalStore.listPending", () => {
        const where = ["customer_instance_id = ?", "status = 'pending'", "expires_at > ?"]
        const params: Array<string | number> = [ci, f.now]
        if (f.runId !== undefined) {
          where.push("run_id = ?")
          params.push(f.runId)
        }
        if (f.after !== undefined) {
          where.push("approval_id > ?")
          params.push(f.after)
        }
        return db
          .all(
            `SELECT body FROM approvals WHERE ${where.join(" AND ")} ORDER BY approval_id LIMIT ?`,
            ...params,
            f.limit
          )
          .map(parse)
      }),

    settleApproval: (next, now, mode) =>
      attempt(
        mode === "decide"
          ? "ApprovalStore.resolve"
          : mode === "expire"
            ? "ApprovalStore.expire"
            : "ApprovalStore.consume",
        () => {
          const { changes } =
            mode === "consume"
              ? db.run(
                  `UPDATE approvals SET status = ?, body = ? WHERE customer_instance_id = ? AND approval_id = ?
                   AND status = 'approved'`,
                  next.status,
                  JSON.stringify(next),
                  next.customerInstanceId,
                  next.approvalId
                )
              : db.run(
                  `UPDATE approvals SET status = ?, body = ? WHERE customer_instance_id = ? AND approval_id = ?
                   AND status = 'pending' AND ${mode === "decide" ? "expires_at > ?" : "expires_at <= ?"}`,
                  next.status,
                  JSON.stringify(next),
                  next.customerInstanceId,
                  next.approvalId,
                  now
                )
          return changes === 1
        }
      ),

    listDue: (ci, now, limit) =>
      attempt("ApprovalStore.expire", () =>
        db
          .all(
            "SELECT body FROM approvals WHERE customer_instance_id = ? AND status = 'pending' AND expires_at <= ? ORDER BY approval_id LIMIT ?",
            ci,
            now,
            limit
          )
          .map(parse)
      ),

    listApprovals: (ci, after, limit) =>
      attempt("StorageReplica.approvals", () =>
        db
          .all(
            "SELECT body FROM approvals WHERE customer_instance_id = ? AND approval_id > ? ORDER BY approval_id LIMIT ?",
            ci,
            after ?? "",
            limit
          )
          .map(parse)
      ),

    putApproval: (record) => attempt("StorageReplica.putApproval", () => void put(record))
  }
}
