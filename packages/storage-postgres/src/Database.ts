import { Storage } from "@bga/core"
import { Effect } from "effect"
import pg from "pg"
import { toStorageError } from "./errors.js"
import { migrations } from "./migrations.js"

/** Options of a PostgreSQL store. */
export interface PgOptions {
  /** Connection URL (`postgres://user@host:5432/db`). */
  readonly url: string
  /** Schema holding BGA's tables; created if missing. `public` unless set. */
  readonly schema?: string
  /** Most connections the pool opens; 10 unless set. */
  readonly maxConnections?: number
  /** A statement running longer is cancelled (`StorageError("timeout")`); 30 s unless set. */
  readonly statementTimeoutMs?: number
  /** How long to wait for a connection before `StorageError("unavailable")`; 5 s unless set. */
  readonly connectTimeoutMs?: number
}

const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/u

/** A SQL statement and its parameters. */
export type Sql = readonly [text: string, params: ReadonlyArray<unknown>]

/** A connection inside a transaction. */
export interface TxClient {
  readonly query: (text: string, params?: ReadonlyArray<unknown>) => Promise<pg.QueryResult>
}

/**
 * A pool bound to one schema. Every connection sets `search_path` to the schema when it opens,
 * so statements use unqualified table names. A connection that breaks is dropped from the pool
 * and the next call opens a new one, so the store recovers by itself once the server is back.
 */
export class PgDatabase {
  constructor(
    readonly pool: pg.Pool,
    readonly schema: string
  ) {}

  /** Creates a pool for the options (no connection is opened yet). */
  static pool(options: PgOptions): pg.Pool {
    const schema = options.schema ?? "public"
    if (!schemaPattern.test(schema)) throw new Error("invalid schema name")
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      options: `-c search_path=${schema} -c statement_timeout=${options.statementTimeoutMs ?? 30_000}`
    })
    // An idle connection that the server drops emits "error" on the pool; without a listener
    // that would crash the process. The broken connection is already discarded.
    pool.on("error", () => undefined)
    return pool
  }

  /** Runs one statement. */
  query<R = Record<string, unknown>>(operation: string, text: string, params: ReadonlyArray<unknown> = []) {
    return Effect.tryPromise({
      try: () =>
        this.pool.query(text, params as Array<unknown>) as Promise<pg.QueryResult<R & pg.QueryResultRow>>,
      catch: (error) => toStorageError(operation, error)
    })
  }

  /**
   * Runs `body` in a transaction on one connection: committed when it resolves, rolled back when
   * it throws. A connection that failed is destroyed rather than returned to the pool.
   */
  transaction<A, E = never>(
    operation: string,
    body: (client: TxClient) => Promise<A>
  ): Effect.Effect<A, Storage.StorageError | E> {
    return Effect.tryPromise({
      try: async () => {
        const client = await this.pool.connect()
        client.on("error", ignore)
        let broken: Error | undefined
        try {
          await client.query("BEGIN")
          const result = await body(client)
          await client.query("COMMIT")
          return result
        } catch (error) {
          broken = error instanceof Error ? error : new Error(String(error))
          await client.query("ROLLBACK").catch(() => undefined)
          throw error
        } finally {
          client.off("error", ignore)
          client.release(
            broken !== undefined && !(broken instanceof Rollback) && isConnectionError(broken)
              ? broken
              : undefined
          )
        }
      },
      catch: (error) => (error instanceof Rollback ? error.value : toStorageError(operation, error))
    }) as Effect.Effect<A, Storage.StorageError | E>
  }

  /** Creates the schema if needed and applies missing migrations under an advisory lock. */
  migrate(): Effect.Effect<void, Storage.StorageError> {
    const schema = this.schema
    return this.transaction("migrate", async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`bga-migrations:${schema}`])
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
      await client.query(
        "CREATE TABLE IF NOT EXISTS bga_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
      )
      const current = Number(
        (await client.query("SELECT coalesce(max(version), 0) AS v FROM bga_migrations")).rows[0]?.v ?? 0
      )
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
        await client.query(m.sql)
        await client.query("INSERT INTO bga_migrations (version, name) VALUES ($1, $2)", [m.version, m.name])
      }
    })
  }
}

/** Thrown inside a transaction body to roll back and fail with a typed error. */
export class Rollback<E> extends Error {
  constructor(readonly value: E) {
    super("rollback")
  }
}

/**
 * A checked-out connection that the server drops emits "error" besides failing its query;
 * unheard, that event would crash the process. The failed query already carries the error.
 */
export const ignore = (): void => undefined

const isConnectionError = (error: Error): boolean => toStorageError("", error).reason === "unavailable"
