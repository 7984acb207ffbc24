import { Schema } from "effect"

/**
 * Why a sandbox operation failed. The reasons are stable codes: they land in `errorCode` of the
 * audit record of a tool call, so callers and operators can act on them without parsing text.
 */
export const SandboxErrorReason = Schema.Literals([
  /** No container engine answers (socket missing, connection refused). */
  "engine-unavailable",
  /** The engine answered with something the driver did not expect. */
  "engine-error",
  /** The lane spec or exec request is malformed or out of bounds. */
  "invalid-request",
  /** The lane asked for an image the driver is not configured to run. */
  "image-not-allowed",
  /** The allowed image is not present on the engine (the driver never pulls). */
  "image-missing",
  /** The lane asked for a network that could reach outside the sandbox. */
  "network-not-allowed",
  /** The engine cannot enforce the pids/memory/CPU limits a lane needs. */
  "limits-unenforced",
  /** No lane with this id exists for this customer instance. */
  "lane-not-found",
  /** A risky tool was called without a sandbox lane; it never falls back to the host. */
  "sandbox-required",
  /** Configuration says risky tools never run (`tools.riskyExecution: "deny"`). */
  "risky-execution-denied",
  /** The caller cancelled; the command was killed and the lane reset. */
  "cancelled",
  /** The driver was shut down. */
  "closed"
])
export type SandboxErrorReason = typeof SandboxErrorReason.Type

/**
 * A sandbox operation that could not be carried out. It crosses into tool results and the audit
 * log, hence a schema-backed error with a computed message.
 */
export class SandboxError extends Schema.TaggedError<SandboxError>()("@bga/core/SandboxError", {
  reason: SandboxErrorReason,
  detail: Schema.String,
  laneId: Schema.optionalKey(Schema.String),
  cause: Schema.optionalKey(Schema.Defect())
}) {
  override get message(): string {
    const lane = this.laneId === undefined ? "" : ` (lane ${this.laneId})`
    return `sandbox ${this.reason}${lane}: ${this.detail}`
  }
}

/** True when a value is a `SandboxError` (also across package copies, by tag). */
export const isSandboxError = (value: unknown): value is SandboxError =>
  typeof value === "object" &&
  value !== null &&
  (value as { readonly _tag?: unknown })._tag === "@bga/core/SandboxError"
