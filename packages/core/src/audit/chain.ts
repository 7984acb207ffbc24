import { Result } from "effect"
import { sha256Hex } from "../hash.js"
import { newId } from "../ids.js"
import { ConflictError } from "../storage/errors.js"
import { isoOf } from "../storage/validate.js"
import { type PreparedEntry, preparedPayloadText } from "./AuditEntry.js"
import {
  type AuditRecord,
  type AuditRecordBody,
  type ChainHead,
  genesisHash,
  hashRecord,
  recordTextWith
} from "./AuditRecord.js"

/**
 * Pure chain arithmetic shared by every adapter: how the next records are built from the head,
 * and which records may continue a chain on import.
 */

/** Gives every entry its `recordId` now, so a backend that retries the build reuses them. */
export const assignRecordIds = (
  entries: ReadonlyArray<PreparedEntry>
): ReadonlyArray<PreparedEntry & { readonly recordId: string }> =>
  entries.map((e) =>
    e.recordId === undefined ? { ...e, recordId: newId() } : (e as PreparedEntry & { recordId: string })
  )

/**
 * Chains entries onto `head`: sequence numbers continue from it, each `prevHash` is the hash
 * before it, and `ts` is `nowMs` but never earlier than the head's, so time order and sequence
 * order agree (time-range queries rely on it).
 */
export const chainEntries = (
  customerInstanceId: string,
  head: ChainHead | undefined,
  entries: ReadonlyArray<PreparedEntry & { readonly recordId: string }>,
  nowMs: number
): ReadonlyArray<AuditRecord> => {
  const floor = head === undefined ? nowMs : Math.max(nowMs, Date.parse(head.ts))
  const ts = isoOf(floor)
  let seq = head?.seq ?? 0
  let prevHash = head?.hash ?? genesisHash
  return entries.map((entry) => {
    seq += 1
    // Built field by field (absent index fields left out, never undefined), then sealed in place.
    const record: { -readonly [K in keyof AuditRecord]?: AuditRecord[K] } = {
      version: 1,
      seq,
      customerInstanceId,
      recordId: entry.recordId,
      kind: entry.kind,
      ts
    }
    if (entry.runId !== undefined) record.runId = entry.runId
    if (entry.decisionId !== undefined) record.decisionId = entry.decisionId
    if (entry.actorId !== undefined) record.actorId = entry.actorId
    if (entry.eventType !== undefined) record.eventType = entry.eventType
    record.payload = entry.payload
    record.prevHash = prevHash
    const payloadText = preparedPayloadText(entry)
    const hash =
      payloadText === undefined || typeof prevHash !== "string"
        ? hashRecord(record as AuditRecordBody)
        : sha256Hex(recordTextWith(record as AuditRecordBody, payloadText))
    record.hash = hash
    prevHash = hash
    return record as AuditRecord
  })
}

/**
 * Checks that `records` continue the chain at `head` exactly: the next sequence numbers, each
 * linked to the one before, hashes matching content, time never going back. An empty chain
 * accepts a start at any `seq` (an export of a pruned log starts after its anchor), but a
 * start at 1 must link to the genesis hash.
 */
export const checkContinuation = (
  customerInstanceId: string,
  head: ChainHead | undefined,
  records: ReadonlyArray<AuditRecord>
): Result.Result<ReadonlyArray<AuditRecord>, ConflictError> => {
  let prev: { seq: number; hash: string; ts: string } | undefined = head
  for (const r of records) {
    const fail = (detail: string) =>
      Result.fail(
        new ConflictError({ reason: "chain-mismatch", entity: "audit-record", id: String(r.seq), detail })
      )
    if (r.customerInstanceId !== customerInstanceId)
      return fail("the record belongs to another customer instance")
    if (hashRecord(r) !== r.hash) return fail("the record's hash does not match its content")
    if (prev === undefined) {
      if (r.seq === 1 && r.prevHash !== genesisHash)
        return fail("the first record does not link to the genesis hash")
    } else {
      if (r.seq !== prev.seq + 1) return fail(`expected seq ${prev.seq + 1}`)
      if (r.prevHash !== prev.hash) return fail(`prevHash does not match the hash of seq ${prev.seq}`)
      if (r.ts < prev.ts) return fail("the timestamp is earlier than the previous record's")
    }
    prev = r
  }
  return Result.succeed(records)
}
