import { randomBytes } from "node:crypto"
import type { Storage } from "@bga/core"
import { StoragePostgres } from "@bga/storage-postgres"
import { Effect, Layer } from "effect"
import pg from "pg"

/** The test server: BGA_TEST_PG_URL, or the local trust-auth cluster. */
export const pgUrl = process.env.BGA_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"

const probe = async (): Promise<string | undefined> => {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query("SELECT 1")
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  } finally {
    await client.end().catch(() => undefined)
  }
}

const unreachable = await probe()
if (unreachable !== undefined && process.env.BGA_TEST_REQUIRE) {
  throw new Error(
    `PostgreSQL is required (BGA_TEST_REQUIRE is set) but ${pgUrl} is not reachable: ${unreachable}`
  )
}

/** Whether the server answered; when not, suites skip and say why in their name. */
export const pgReachable = unreachable === undefined

/** The suffix integration suites carry in their name when they are skipped. */
export const skipReason = pgReachable
  ? ""
  : ` (skipped: PostgreSQL not reachable at ${pgUrl}: ${unreachable}; set BGA_TEST_PG_URL)`

/** Runs one statement on the test server, outside any store. */
export const adminQuery = async (text: string, params: Array<unknown> = []) => {
  const client = new pg.Client({ connectionString: pgUrl })
  await client.connect()
  try {
    return await client.query(text, params)
  } finally {
    await client.end()
  }
}

/** A schema name no other test uses. */
export const freshSchema = (): string => `bga_test_${randomBytes(6).toString("hex")}`

/** A store in its own new schema, dropped again when the layer is released. */
export const schemaLayer = (
  options: { readonly schema?: string; readonly url?: string; readonly keep?: boolean } = {}
): Layer.Layer<Storage.StoragePorts, Storage.StorageError> => {
  const schema = options.schema ?? freshSchema()
  return Layer.effectContext(
    Effect.acquireRelease(Effect.succeed(schema), (s) =>
      options.keep
        ? Effect.void
        : Effect.promise(() => adminQuery(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined))
    ).pipe(
      Effect.flatMap((s) =>
        Layer.build(StoragePostgres.layer({ url: options.url ?? pgUrl, schema: s, maxConnections: 4 }))
      )
    )
  )
}
