import { Schema } from "effect"

/**
 * The backing store failed. `reason` tells a caller what it can do about it: `unavailable`
 * and `busy` are worth a retry once the store is back, `contention` means a retry budget ran
 * out under concurrent writers, `corrupt` and `migration` need an operator. The driver's own
 * error is kept in `cause` and never in `message`, so no SQL text or connection string leaks
 * to a caller.
 */
export class StorageError extends Schema.TaggedError<StorageError>()("@bga/core/StorageError", {
  reason: Schema.Literals(["unavailable", "busy", "timeout", "contention", "corrupt", "migration", "failed"]),
  /** The port method that failed, e.g. `AuditLog.append`. */
  operation: Schema.String,
  detail: Schema.optionalKey(Schema.String),
  cause: Schema.optionalKey(Schema.Defect())
}) {
  override get message(): string {
    return `storage ${this.reason} during ${this.operation}${this.detail ? `: ${this.detail}` : ""}`
  }
}

/** What a stored entity is, for errors that name one. */
export const StoredEntity = Schema.Literals(["run", "checkpoint", "approval", "kv-entry", "audit-record"])
export type StoredEntity = typeof StoredEntity.Type

/**
 * The entity does not exist in this customer instance. Deliberately identical whether the id
 * is unknown everywhere or belongs to another instance, so ids cannot be probed across
 * instances.
 */
export class NotFoundError extends Schema.TaggedError<NotFoundError>()("@bga/core/NotFoundError", {
  entity: StoredEntity,
  customerInstanceId: Schema.String,
  id: Schema.String
}) {
  override get message(): string {
    return `${this.entity} ${this.id} not found in customer instance ${this.customerInstanceId}`
  }
}

/**
 * A write lost a race or broke a rule of the entity's lifecycle; nothing was written.
 *
 * - `idempotency-key-reused`: the key was used before with a different request;
 * - `already-exists`: the id is taken by a different entity;
 * - `stale-version`: the entity changed since the caller read it (optimistic concurrency);
 * - `illegal-transition`: the lifecycle does not allow that state change;
 * - `lease-held`: another worker holds an unexpired lease on the run;
 * - `lease-lost`: the caller's lease expired or was taken over (fencing);
 * - `already-resolved`: an approval was decided or expired before;
 * - `expired`: an approval's deadline passed;
 * - `mismatch`: the write does not match the entity it refers to (e.g. another `argsHash`);
 * - `chain-mismatch`: imported audit records do not continue the stored chain.
 */
export class ConflictError extends Schema.TaggedError<ConflictError>()("@bga/core/ConflictError", {
  reason: Schema.Literals([
    "idempotency-key-reused",
    "already-exists",
    "stale-version",
    "illegal-transition",
    "lease-held",
    "lease-lost",
    "already-resolved",
    "expired",
    "mismatch",
    "chain-mismatch"
  ]),
  entity: StoredEntity,
  id: Schema.String,
  detail: Schema.optionalKey(Schema.String)
}) {
  override get message(): string {
    return `${this.entity} ${this.id}: ${this.reason}${this.detail ? ` (${this.detail})` : ""}`
  }
}
