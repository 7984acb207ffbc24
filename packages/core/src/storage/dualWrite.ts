import { Context, Effect, Layer, Option, Semaphore } from "effect"
import { AuditLog, type AuditLogShape } from "../audit/AuditLog.js"
import type { AuditRecord } from "../audit/AuditRecord.js"
import { ApprovalStore, type ApprovalStoreShape } from "./ApprovalStore.js"
import { KeyValue, type KeyValueShape } from "./KeyValue.js"
import type { StoragePorts } from "./ports.js"
import { RunStore, type RunStoreShape } from "./RunStore.js"
import { type ReconcileReport, reconcile } from "./reconcile.js"
import { StorageReplica } from "./StorageReplica.js"

/** How a dual-write store treats a write the secondary refused. */
export interface DualWriteOptions {
  /**
   * `record` (default): the write stands (the primary is the truth), the instance is marked
   * divergent, and `reconcile` mends it later. `fail`: the caller gets the secondary's error
   * although the primary kept the write (use while validating a new store).
   */
  readonly onSecondaryFailure?: "record" | "fail"
}

/** What the dual-write store knows about its secondary, and how to bring it back in line. */
export interface DualWriteControlShape {
  /** Instances with a secondary write that failed since the last clean reconcile. */
  readonly divergent: () => ReadonlyArray<string>
  /** Failed secondary writes so far (for metrics). */
  readonly failures: () => number
  /**
   * Reconciles one instance (see `reconcile`), holding that instance's writes meanwhile; a
   * reconcile that leaves the stores in sync clears the instance's divergent mark.
   */
  readonly reconcile: (
    customerInstanceId: string,
    options?: { readonly mend?: boolean }
  ) => ReturnType<typeof reconcile>
}

/** The control service of a dual-write store. */
export class DualWriteControl extends Context.Service<DualWriteControl, DualWriteControlShape>()(
  "@bga/core/DualWriteControl"
) {}

const stripes = 64
const stripeOf = (ci: string): number => {
  let h = 0
  for (let i = 0; i < ci.length; i++) h = (h * 31 + ci.charCodeAt(i)) | 0
  return Math.abs(h) % stripes
}

/**
 * A store for migrations: every write goes to the primary and then, unchanged, to the
 * secondary; every read comes from the primary. The secondary receives exact copies (audit
 * records through `importRecords`, everything else through `StorageReplica`), so either store
 * can become the primary, or be rolled back to, with nothing lost. Writes to one instance are
 * applied in order in this process, so the copies arrive in the order the primary took them.
 *
 * Migrating from A to B: run with (A, B) and reconcile every instance (backfill); switch to
 * (B, A), which keeps A complete for a rollback; drop A once B has proven itself.
 */
export const makeDualWrite = (
  primary: Context.Context<StoragePorts>,
  secondary: Context.Context<StoragePorts>,
  options: DualWriteOptions = {}
): Context.Context<StoragePorts | DualWriteControl> => {
  const locks = Array.from({ length: stripes }, () => Semaphore.makeUnsafe(1))
  const divergent = new Set<string>()
  let failures = 0
  const serial = <A, E, R>(ci: string, effect: Effect.Effect<A, E, R>) =>
    (locks[stripeOf(typeof ci === "string" ? ci : "")] as Semaphore.Semaphore).withPermit(effect)

  const runs = Context.get(primary, RunStore)
  const approvals = Context.get(primary, ApprovalStore)
  const kv = Context.get(primary, KeyValue)
  const audit = Context.get(primary, AuditLog)
  const pReplica = Context.get(primary, StorageReplica)
  const sReplica = Context.get(secondary, StorageReplica)
  const sAudit = Context.get(secondary, AuditLog)

  /** Copies to the secondary; a failure is recorded (or returned, with `fail`). */
  const mirror = <E>(ci: string, copy: Effect.Effect<unknown, E>) =>
    copy.pipe(
      Effect.asVoid,
      Effect.catch((error) => {
        failures++
        divergent.add(ci)
        return options.onSecondaryFailure === "fail" ? Effect.fail(error) : Effect.void
      })
    )

  /** Runs a primary write, then mirrors what it changed. */
  const write = <A, E, E2>(
    ci: string,
    primaryWrite: Effect.Effect<A, E>,
    copy: (a: A) => Effect.Effect<unknown, E2>
  ): Effect.Effect<A, E | E2> =>
    serial(
      ci,
      Effect.flatMap(primaryWrite, (a) => Effect.as(mirror(ci, copy(a)), a))
    )

  const copyRun = (ci: string, runId: string) =>
    Effect.flatMap(pReplica.run(ci, runId), (snapshot) =>
      Option.match(snapshot, { onNone: () => Effect.void, onSome: (s) => sReplica.putRun(ci, s) })
    )
  const copyRecords = (ci: string, records: ReadonlyArray<AuditRecord>) => sAudit.importRecords(ci, records)

  const runStore: RunStoreShape = {
    ...runs,
    create: (ci, request) =>
      write(ci, runs.create(ci, request), (r) => (r.created ? copyRun(ci, r.run.runId) : Effect.void)),
    transition: (ci, runId, input) => write(ci, runs.transition(ci, runId, input), () => copyRun(ci, runId)),
    appendCheckpoint: (ci, runId, input) =>
      write(ci, runs.appendCheckpoint(ci, runId, input), () => copyRun(ci, runId)),
    acquireLease: (ci, runId, request) =>
      write(ci, runs.acquireLease(ci, runId, request), () => copyRun(ci, runId)),
    renewLease: (ci, runId, fence, ttlMs) =>
      write(ci, runs.renewLease(ci, runId, fence, ttlMs), () => copyRun(ci, runId)),
    releaseLease: (ci, runId, fence) =>
      write(ci, runs.releaseLease(ci, runId, fence), () => copyRun(ci, runId))
  }

  const approvalStore: ApprovalStoreShape = {
    ...approvals,
    create: (ci, request) => write(ci, approvals.create(ci, request), (a) => sReplica.putApproval(ci, a)),
    resolve: (ci, decision) => write(ci, approvals.resolve(ci, decision), (a) => sReplica.putApproval(ci, a)),
    consume: (ci, approvalId, expected) =>
      write(ci, approvals.consume(ci, approvalId, expected), (a) => sReplica.putApproval(ci, a)),
    expire: (ci, opts) =>
      write(ci, approvals.expire(ci, opts), (expired) =>
        Effect.forEach(expired, (a) => sReplica.putApproval(ci, a))
      )
  }

  const keyValue: KeyValueShape = {
    ...kv,
    set: (ci, pluginId, key, value) =>
      write(ci, kv.set(ci, pluginId, key, value), (e) => sReplica.putKv(ci, e)),
    delete: (ci, pluginId, key) =>
      write(ci, kv.delete(ci, pluginId, key), (removed) =>
        removed ? sReplica.deleteKv(ci, pluginId, key) : Effect.void
      )
  }

  const auditLog: AuditLogShape = {
    ...audit,
    append: (ci, entry) => write(ci, audit.append(ci, entry), (r) => copyRecords(ci, [r])),
    appendAll: (ci, entries) => write(ci, audit.appendAll(ci, entries), (rs) => copyRecords(ci, rs)),
    importRecords: (ci, records) =>
      write(ci, audit.importRecords(ci, records), () => copyRecords(ci, records)),
    prune: (ci, opts) =>
      write(ci, audit.prune(ci, opts), (r) =>
        r.anchor === undefined ? Effect.void : copyRecords(ci, [r.anchor])
      )
  }

  const control: DualWriteControlShape = {
    divergent: () => [...divergent].sort(),
    failures: () => failures,
    reconcile: (ci, opts) =>
      serial(
        ci,
        Effect.tap(reconcile(ci, { primary, secondary }, opts), (report: ReconcileReport) =>
          Effect.sync(() => {
            if (report.inSync) divergent.delete(ci)
          })
        )
      )
  }

  return Context.make(RunStore, runStore).pipe(
    Context.add(ApprovalStore, approvalStore),
    Context.add(KeyValue, keyValue),
    Context.add(AuditLog, auditLog),
    Context.add(StorageReplica, pReplica),
    Context.add(DualWriteControl, control)
  )
}

/** A dual-write store over two storage layers (primary first). */
export const layerDualWrite = <E1, E2>(
  primary: Layer.Layer<StoragePorts, E1>,
  secondary: Layer.Layer<StoragePorts, E2>,
  options?: DualWriteOptions
): Layer.Layer<StoragePorts | DualWriteControl, E1 | E2> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const p = yield* Layer.build(primary)
      const s = yield* Layer.build(secondary)
      return makeDualWrite(p, s, options)
    })
  )
