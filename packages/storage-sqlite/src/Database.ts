import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite"
import { Storage } from "@bga/core"
import { Effect } from "effect"
import { toStorageError } from "./errors.js"
import { migrations } from "./migrations.js"

/** Options of a SQLite store. */
export interface SqliteOptions {
  /** Database file; created if missing. `:memory:` works for throwaway stores. */
  readonly path: string
  /**
   * `FULL` (default): every commit is on disk before it is acknowledged, also across power
   * loss. `NORMAL`: in WAL mode a commit survives a crash of the process but the last
   * transactions may be lost if the machine loses power; faster on slow disks.
   */
  readonly synchronous?: "FULL" | "NORMAL"
  /** How long a writer waits for another process's write lock before `StorageError("busy")`; 5000 ms unless set. */
  readonly busyTimeoutMs?: number
}

/**
 * One open database: a `node:sqlite` connection with cached statements. Every call is
 * synchronous; a write transaction holds SQLite's write lock (`BEGIN IMMEDIATE`) for its
 * whole body, which serializes writers across connections and processes.
 */
export class SqliteDatabase {
  private readonly statements = new Map<string, StatementSync>()
  private depth = 0

  constructor(readonly db: DatabaseSync) {}

  /** Opens (creating if needed), configures and migrates a database. */
  static open(options: SqliteOptions): SqliteDatabase {
    const db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 5000 })
    const database = new SqliteDatabase(db)
    try {
      db.exec("PRAGMA journal_mode = WAL")
      db.exec(`PRAGMA synchronous = ${options.synchronous === "NORMAL" ? "NORMAL" : "FULL"}`)
      db.exec("PRAGMA foreign_keys = ON")
      database.migrate()
    } catch (error) {
      db.close()
      throw error
    }
    return database
  }

  private migrate(): void {
    this.write(() => {
      this.db.exec(
        "CREATE TABLE IF NOT EXISTS bga_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
      )
      const row = this.get("SELECT max(version) AS v FROM bga_migrations") as { v: number | null }
      const current = row.v ?? 0
      const latest = migrations.at(-1)?.version ?? 0
      if (current > latest) {
        throw new Storage.StorageError({
          reason: "migration",
          operation: "open",
          detail: `the database schema is version ${current}, newer than this adapter's ${latest}`
        })
      }
      for (const m of migrations) {
        if (m.version <= current) continue
        this.db.exec(m.sql)
        this.run(
          "INSERT INTO bga_migrations (version, name, applied_at) VALUES (?, ?, ?)",
          m.version,
          m.name,
          new Date().toISOString()
        )
      }
    })
  }

  /** The applied schema version. */
  schemaVersion(): number {
    return (this.get("SELECT max(version) AS v FROM bga_migrations") as { v: number | null }).v ?? 0
  }

  private statement(sql: string): StatementSync {
    let stmt = this.statements.get(sql)
    if (stmt === undefined) {
      stmt = this.db.prepare(sql)
      this.statements.set(sql, stmt)
    }
    return stmt
  }

  run(sql: string, ...params: Array<SQLInputValue>): { changes: number } {
    const result = this.statement(sql).run(...params)
    return { changes: Number(result.changes) }
  }

  get(sql: string, ...params: Array<SQLInputValue>): unknown {
    return this.statement(sql).get(...params)
  }

  all(sql: string, ...params: Array<SQLInputValue>): Array<unknown> {
    return this.statement(sql).all(...params)
  }

  /** Runs `body` in a write transaction (nested calls join the outer one). */
  write<A>(body: () => A): A {
    if (this.depth > 0) return body()
    this.db.exec("BEGIN IMMEDIATE")
    this.depth++
    try {
      const result = body()
      this.db.exec("COMMIT")
      return result
    } catch (error) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK")
      throw error
    } finally {
      this.depth--
    }
  }

  close(): void {
    this.statements.clear()
    if (this.db.isOpen) this.db.close()
  }
}

/** Runs a synchronous database call as an Effect, mapping driver errors to `StorageError`. */
export const attempt = <A>(operation: string, body: () => A): Effect.Effect<A, Storage.StorageError> =>
  Effect.try({ try: body, catch: (error) => toStorageError(operation, error) })
