import type { Audit, Storage } from "@bga/core"

/**
 * The state of one in-memory store. Keep a reference to hand the same data to several layers
 * (for example the old store of a dual-write migration that a test rolls back to).
 * Values are copied on the way in and out, so callers cannot change stored data by mutating
 * what they passed or got back, just as with a database.
 */
export class MemoryStore {
  /** @internal */ readonly runs = new Map<string, Map<string, Storage.StoredRun>>()
  /** @internal */ readonly idempotency = new Map<string, Map<string, string>>()
  /** @internal */ readonly checkpoints = new Map<string, Map<string, Array<Storage.RunCheckpoint>>>()
  /** @internal */ readonly approvals = new Map<string, Map<string, Storage.ApprovalRecord>>()
  /** @internal */ readonly kv = new Map<string, Map<string, Storage.KvEntry>>()
  /** @internal */ readonly audit = new Map<string, AuditChainState>()
}

/** @internal One instance's audit rows in sequence order. */
export interface AuditChainState {
  rows: Array<Audit.AuditRow>
  readonly byRecordId: Map<string, Audit.AuditRow>
}

/** @internal Gets or creates the inner map of an instance. */
export const scoped = <K, V>(outer: Map<string, Map<K, V>>, ci: string): Map<K, V> => {
  let inner = outer.get(ci)
  if (inner === undefined) {
    inner = new Map()
    outer.set(ci, inner)
  }
  return inner
}

/** @internal A deep copy, so stored values are never shared with callers. */
export const copy = <A>(value: A): A => structuredClone(value)
