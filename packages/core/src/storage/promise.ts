import { Cause, Context, Effect, Exit, Layer, Scope, Stream } from "effect"
import { AuditLog, type AuditLogShape } from "../audit/AuditLog.js"
import { ApprovalStore, type ApprovalStoreShape } from "./ApprovalStore.js"
import { KeyValue, type KeyValueShape } from "./KeyValue.js"
import type { StoragePorts } from "./ports.js"
import { RunStore, type RunStoreShape } from "./RunStore.js"
import { StorageReplica, type StorageReplicaShape } from "./StorageReplica.js"

/** A port with every Effect-returning method turned into a Promise-returning one. */
export type Promised<S> = {
  readonly [K in keyof S]: S[K] extends (...args: infer P) => Effect.Effect<infer A, infer _E, never>
    ? (...args: P) => Promise<A>
    : S[K] extends (...args: infer P) => Stream.Stream<infer A, infer _E, never>
      ? (...args: P) => AsyncIterable<A>
      : S[K]
}

/** The storage ports for code that does not use Effect, and the way to close the store. */
export interface StorageClient {
  readonly runs: Promised<RunStoreShape>
  readonly approvals: Promised<ApprovalStoreShape>
  readonly kv: Promised<KeyValueShape>
  readonly audit: Promised<AuditLogShape>
  readonly replica: Promised<StorageReplicaShape>
  /** Releases the store (closes files and connection pools). */
  readonly close: () => Promise<void>
}

/** Runs an effect; rejects with the typed error itself (check `error._tag` or use `instanceof`). */
const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
  Effect.runPromiseExit(effect).then((exit) =>
    Exit.isSuccess(exit) ? exit.value : Promise.reject(Cause.squash(exit.cause))
  )

const promised = <S extends object>(shape: S): Promised<S> => {
  const out: Record<string, unknown> = {}
  for (const [name, method] of Object.entries(shape)) {
    out[name] =
      typeof method === "function"
        ? (...args: Array<unknown>) => {
            const result = (method as (...a: Array<unknown>) => unknown)(...args)
            if (Stream.isStream(result))
              return Stream.toAsyncIterable(result as Stream.Stream<unknown, unknown>)
            return run(result as Effect.Effect<unknown, unknown>)
          }
        : method
  }
  return out as Promised<S>
}

/**
 * Opens a store from an adapter layer for Promise code. Failures reject with the same typed
 * errors as the Effect API (`NotFoundError`, `ConflictError`, `InvalidInputError`,
 * `StorageError`).
 *
 * @example
 * ```ts
 * import { openStorage } from "@bga/core/storage"
 * import { StorageSqlite } from "@bga/storage-sqlite"
 * const store = await openStorage(StorageSqlite.layer({ path: "bga.sqlite" }))
 * const record = await store.audit.append("acme", { kind: "auth_event", payload: { login: "ok" } })
 * await store.close()
 * ```
 */
export const openStorage = async <E>(layer: Layer.Layer<StoragePorts, E>): Promise<StorageClient> => {
  const scope = Effect.runSync(Scope.make())
  let context: Context.Context<StoragePorts>
  try {
    context = await run(Layer.buildWithScope(layer, scope))
  } catch (error) {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw error
  }
  return {
    runs: promised(Context.get(context, RunStore)),
    approvals: promised(Context.get(context, ApprovalStore)),
    kv: promised(Context.get(context, KeyValue)),
    audit: promised(Context.get(context, AuditLog)),
    replica: promised(Context.get(context, StorageReplica)),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
