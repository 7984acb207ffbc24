import type { Storage } from "@bga/core"
import { attempt, type SqliteDatabase } from "./Database.js"

interface KvRow {
  readonly customer_instance_id: string
  readonly plugin_id: string
  readonly key: string
  readonly value: string
  readonly updated_at: string
}

const toEntry = (row: unknown): Storage.KvEntry => {
  const r = row as KvRow
  return {
    customerInstanceId: r.customer_instance_id,
    pluginId: r.plugin_id,
    key: r.key,
    value: JSON.parse(r.value),
    updatedAt: r.updated_at
  }
}

const columns = "customer_instance_id, plugin_id, key, value, updated_at"

/** The key-value backend on SQLite. Keys compare as bytes (SQLite's BINARY collation). */
export const kvBackend = (db: SqliteDatabase): Storage.KvBackend => ({
  getKv: (ci, pluginId, key) =>
    attempt("KeyValue.get", () => {
      const row = db.get(
        `SELECT ${columns} FROM kv WHERE customer_instance_id = ? AND plugin_id = ? AND key = ?`,
        ci,
        pluginId,
        key
      )
      return row === undefined ? undefined : toEntry(row)
    }),

  setKv: (e) =>
    attempt("KeyValue.set", () => {
      db.run(
        `INSERT INTO kv (${columns}) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (customer_instance_id, plugin_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        e.customerInstanceId,
        e.pluginId,
        e.key,
        JSON.stringify(e.value),
        e.updatedAt
      )
    }),

  deleteKv: (ci, pluginId, key) =>
    attempt(
      "KeyValue.delete",
      () =>
        db.run(
          "DELETE FROM kv WHERE customer_instance_id = ? AND plugin_id = ? AND key = ?",
          ci,
          pluginId,
          key
        ).changes > 0
    ),

  listKv: (ci, pluginId, f) =>
    attempt("KeyValue.list", () => {
      const where = ["customer_instance_id = ?", "plugin_id = ?"]
      const params: Array<string | number> = [ci, pluginId]
      if (f.prefix !== undefined) {
        where.push("substr(key, 1, ?) = ?")
        params.push(f.prefix.length, f.prefix)
      }
      if (f.after !== undefined) {
        where.push("key > ?")
        params.push(f.after)
      }
      return db
        .all(
          `SELECT ${columns} FROM kv WHERE ${where.join(" AND ")} ORDER BY key LIMIT ?`,
          ...params,
          f.limit
        )
        .map(toEntry)
    }),

  listAllKv: (ci, after, limit) =>
    attempt("StorageReplica.kvEntries", () =>
      db
        .all(
          `SELECT ${columns} FROM kv WHERE customer_instance_id = ? AND (plugin_id > ? OR (plugin_id = ? AND key > ?))
           ORDER BY plugin_id, key LIMIT ?`,
          ci,
          after?.[0] ?? "",
          after?.[0] ?? "",
          after?.[1] ?? "",
          limit
        )
        .map(toEntry)
    )
})
