/**
 * `@bga/storage-postgres`: every BGA storage port on PostgreSQL, for deployments with several
 * replicas. Built on `pg` with a connection pool; migrations run under an advisory lock when a
 * store opens; audit appends stay one unforked chain per customer instance across replicas
 * (see `conditionalInsert`). Durability is the server's (`synchronous_commit`, on by default).
 *
 * @example
 * ```ts
 * import { StoragePostgres } from "@bga/storage-postgres"
 * program.pipe(Effect.provide(StoragePostgres.layer({ url: process.env.DATABASE_URL!, schema: "bga" })))
 * ```
 *
 * @module
 */
export * as StoragePostgres from "./layer.js"
