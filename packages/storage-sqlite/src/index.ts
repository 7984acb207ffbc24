/**
 * `@bga/storage-sqlite`: every BGA storage port on `node:sqlite`, the embedded default. One
 * file holds runs, approvals, plugin state and the audit log. WAL journal; `synchronous=FULL`
 * by default (a commit is on disk before it is acknowledged); migrations run when the store
 * opens. Several processes may share a file: writes serialize on SQLite's write lock.
 *
 * @example
 * ```ts
 * import { StorageSqlite } from "@bga/storage-sqlite"
 * program.pipe(Effect.provide(StorageSqlite.layer({ path: ".data/bga.sqlite" })))
 * ```
 *
 * @module
 */
export * as StorageSqlite from "./layer.js"
