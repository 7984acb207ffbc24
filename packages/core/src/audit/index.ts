/**
 * The tamper-evident audit log: the `AuditLog` port (one hash chain per customer instance),
 * the record and entry types, and the pure functions every adapter shares: chaining,
 * verification, signed checkpoints, JSONL export/import and retention anchors.
 * `makeAuditLog(backend)` builds the port for an adapter.
 *
 * @example
 * ```ts
 * import { Audit } from "@bga/core"
 * const program = Effect.gen(function* () {
 *   const audit = yield* Audit.AuditLog
 *   yield* audit.append("acme", { kind: "policy_decision", payload: trace })
 *   const report = yield* audit.verify("acme")
 * })
 * ```
 *
 * @module
 */
export {
  type AuditEntry,
  type KnownEntry,
  maxAuditPayloadBytes,
  type OpenEntry,
  type PreparedEntry,
  prepareEntry
} from "./AuditEntry.js"
export {
  AuditLog,
  type AuditLogShape,
  type AuditQuery,
  type AuditVerifyInput,
  type PruneResult
} from "./AuditLog.js"
export {
  type AuditKind,
  type AuditRecord,
  type AuditRecordBody,
  AuditRecordSchema,
  type AuditRow,
  auditKindPattern,
  type ChainHead,
  eventTypePattern,
  fromRow,
  genesisHash,
  hashRecord,
  type KnownAuditKind,
  knownAuditKinds,
  sealRecord,
  toRow
} from "./AuditRecord.js"
export type { AppendOutcome, AuditBackend, AuditFilter } from "./backend.js"
export { assignRecordIds, chainEntries, checkContinuation } from "./chain.js"
export {
  AuditCheckpoint,
  AuditKeyError,
  AuditSigner,
  type AuditSignerShape,
  keyIdOf,
  layerSigner,
  layerSignerConfig,
  makeSigner,
  parsePrivateKey,
  parsePublicKey,
  publicKeyBase64,
  SignedAuditCheckpoint,
  signCheckpoint,
  verifyCheckpointSignature
} from "./checkpoint.js"
export { parseJsonl, parseJsonlLine, recordToJsonl, verifyJsonl } from "./jsonl.js"
export { makeAuditLog, maxAppendBatch } from "./makeAuditLog.js"
export { applyRetention, checkpointHead } from "./operations.js"
export { AnchorPayload, anchorOf, anchorPayload, retentionCutoff } from "./retention.js"
export {
  ChainVerifier,
  maxReportedProblems,
  type VerifyOptions,
  type VerifyProblem,
  type VerifyProblemKind,
  type VerifyReport,
  verifyRecords
} from "./verify.js"
