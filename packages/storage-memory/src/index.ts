/**
 * `@bga/storage-memory`: every BGA storage port kept in memory. A real adapter, not a mock: it
 * is built from the same core rules as the SQLite and PostgreSQL adapters and passes the same
 * conformance suite. Data lives as long as the `MemoryStore` it is given (by default, as long
 * as the layer), so use it for tests, demos and single-process tools, not for production.
 *
 * @example
 * ```ts
 * import { StorageMemory } from "@bga/storage-memory"
 * const program = Effect.gen(function* () {
 *   const runs = yield* Storage.RunStore
 *   ...
 * }).pipe(Effect.provide(StorageMemory.layer))
 * ```
 *
 * @module
 */
export * as StorageMemory from "./layer.js"
export { MemoryStore } from "./MemoryStore.js"
