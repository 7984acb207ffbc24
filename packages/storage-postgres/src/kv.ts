import type { Storage } from "@bga/core"
import { Effect } from "effect"
import type { PgDatabase } from "./Database.js"

interface KvRow {
  readonly customer_instance_id: string
  readonly plugin_id: string
  readonly key: string
  readonly value: string
  readonly updated_at: string
}

const toEntry = (r: KvRow): Storage.KvEntry => ({
  customerInstanceId: r.customer_instance_id,
  pluginId: r.plugin_id,
  key: r.key,
  value: JSON.parse(r.value),
  updatedAt: r.updated_at
})

const columns = "customer_instance_id, plugin_id, key, value, updated_at"

/** The key-value backend on PostgreSQL. */
export const kvBackend = (db: PgDatabase): Storage.KvBackend => ({
  getKv: (ci, pluginId, key) =>
    Effect.map(
      db.query<KvRow>(
        "KeyValue.get",
        `SELECT ${columns} FROM kv WHERE customer_instance_id = $1 AND plugin_id = $2 AND key = $3`,
        [ci, pluginId, key]
      ),
      (r) => (r.rows[0] === undefined ? undefined : toEntry(r.rows[0]))
    ),

  setKv: (e) =>
    Effect.asVoid(
      db.query(
        "KeyValue.set",
        `INSERT INTO kv (${columns}) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (customer_instance_id, plugin_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [e.customerInstanceId, e.pluginId, e.key, JSON.stringify(e.value), e.updatedAt]
      )
    ),

  deleteKv: (ci, pluginId, key) =>
    Effect.map(
      db.query(
        "KeyValue.delete",
        "DELETE FROM kv WHERE customer_instance_id = $1 AND plugin_id = $2 AND key = $3",
        [ci, pluginId, key]
      ),
      (r) => (r.rowCount ?? 0) > 0
    ),

  listKv: (ci, pluginId, f) => {
    const params: Array<unknown> = [ci, pluginId]
    const where = ["customer_instance_id = $1", "plugin_id = $2"]
    if (f.prefix !== undefined) {
      params.push(f.prefix)
      where.push(`starts_with(key, $${params.length})`)
    }
    if (f.after !== undefined) {
      params.push(f.after)
      where.push(`key > $${params.length}`)
    }
    params.push(f.limit)
    return Effect.map(
      db.query<KvRow>(
        "KeyValue.list",
        `SELECT ${columns} FROM kv WHERE ${where.join(" AND ")} ORDER BY key LIMIT $${params.length}`,
        params
      ),
      (r) => r.rows.map(toEntry)
    )
  },

  listAllKv: (ci, after, limit) =>
    Effect.map(
      db.query<KvRow>(
        "StorageReplica.kvEntries",
        `SELECT ${columns} FROM kv WHERE customer_instance_id = $1 AND (plugin_id, key) > ($2, $3) ORDER BY plugin_id, key LIMIT $4`,
        [ci, after?.[0] ?? "", after?.[1] ?? "", limit]
      ),
      (r) => r.rows.map(toEntry)
    )
})
