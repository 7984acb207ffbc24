import { Result, Schema } from "effect"
import type { JsonObject, Json as JsonValue } from "effect/Schema"
import { CustomerInstanceId, Id, Sha256Hex } from "../contracts/primitives.js"
import { canonicalJson, hashOf } from "../hash.js"

/**
 * Kinds BGA itself writes. The set is open: any lowercase name matching `auditKindPattern`
 * can be appended with a JSON object payload, so modules that arrive later (egress guard,
 * plugin host, gateway auth) need no change here. `anchor` is reserved for retention.
 */
export const knownAuditKinds = [
  "run_event",
  "tool_invocation",
  "policy_decision",
  "approval_request",
  "approval_decision",
  "plugin_event",
  "egress_event",
  "auth_event",
  "anchor"
] as const

/** A kind BGA knows by name. */
export type KnownAuditKind = (typeof knownAuditKinds)[number]

/** What an audit record is about: a known kind or a lowercase name of another module's. */
export type AuditKind = KnownAuditKind | (string & {})

/** Shape of every audit kind name: lowercase letters, digits and `_`, 1 to 64 characters. */
export const auditKindPattern = /^[a-z][a-z0-9_]{0,63}$/u

/** Shape of an `eventType`: lowercase, with `.`, `_`, `:` and `-` allowed (`run.state_changed`). */
export const eventTypePattern = /^[a-z][a-z0-9_.:-]{0,127}$/u

/** `prevHash` of the first record of a chain. */
export const genesisHash = "0".repeat(64)

/**
 * One record of a customer instance's audit chain. `hash` is `hashOf` (sha256 over RFC 8785
 * canonical JSON) of every other field, and `prevHash` is the `hash` of the record with the
 * previous `seq`, so changing, removing, inserting or reordering records breaks the chain.
 * `runId`, `decisionId`, `actorId` and `eventType` are index fields for queries, filled from
 * the payload for the known kinds; absent ones are left out (never null) before hashing.
 */
export interface AuditRecord {
  readonly version: 1
  /** 1, 2, 3... per customer instance, without gaps. */
  readonly seq: number
  readonly customerInstanceId: string
  readonly recordId: string
  readonly kind: AuditKind
  /** When the record was appended (`toISOString()`); never earlier than its predecessor's. */
  readonly ts: string
  readonly runId?: string
  readonly decisionId?: string
  readonly actorId?: string
  readonly eventType?: string
  readonly payload: JsonObject
  readonly prevHash: string
  readonly hash: string
}

/** The newest record of a chain, enough to append the next one. */
export interface ChainHead {
  readonly seq: number
  readonly hash: string
  readonly ts: string
}

/** The fields a record's hash covers: all of them but `hash`. */
export type AuditRecordBody = Omit<AuditRecord, "hash">

/** Computes a record's hash. */
export const hashRecord = (body: AuditRecordBody): string => {
  const { hash: _ignored, ...rest } = body as AuditRecord
  return hashOf(rest)
}

/**
 * @internal The text `hashRecord` hashes, for a record built by `chainEntries` (string fields,
 * integer `seq` and `version`, absent index fields left out) whose payload's canonical text is
 * already known: written field by field in RFC 8785 key order around that text, so the payload
 * is not serialized again. A property test holds it to `canonicalJson` of the record.
 */
export const recordTextWith = (r: AuditRecordBody, payloadText: string): string => {
  let out = "{"
  if (r.actorId !== undefined) out += `"actorId":${canonicalJson(r.actorId)},`
  out += `"customerInstanceId":${canonicalJson(r.customerInstanceId)},`
  if (r.decisionId !== undefined) out += `"decisionId":${canonicalJson(r.decisionId)},`
  if (r.eventType !== undefined) out += `"eventType":${canonicalJson(r.eventType)},`
  out += `"kind":${canonicalJson(r.kind)},"payload":${payloadText},"prevHash":${canonicalJson(r.prevHash)},`
  out += `"recordId":${canonicalJson(r.recordId)},`
  if (r.runId !== undefined) out += `"runId":${canonicalJson(r.runId)},`
  return `${out}"seq":${canonicalJson(r.seq)},"ts":${canonicalJson(r.ts)},"version":${canonicalJson(r.version)}}`
}

/** A record whose hash matches its content. */
export const sealRecord = (body: AuditRecordBody): AuditRecord => ({ ...body, hash: hashRecord(body) })

/**
 * An audit record as a backend stores it: index fields as nullable columns and the payload as
 * JSON text. Backends keep these columns verbatim; every check happens on the record rebuilt
 * from them, so a change to any column is caught by `verify`.
 */
export interface AuditRow {
  readonly seq: number
  readonly customerInstanceId: string
  readonly recordId: string
  readonly kind: string
  readonly ts: string
  readonly runId: string | null
  readonly decisionId: string | null
  readonly actorId: string | null
  readonly eventType: string | null
  readonly payload: string
  readonly prevHash: string
  readonly hash: string
}

/** The row form of a record. */
export const toRow = (record: AuditRecord): AuditRow => ({
  seq: record.seq,
  customerInstanceId: record.customerInstanceId,
  recordId: record.recordId,
  kind: record.kind,
  ts: record.ts,
  runId: record.runId ?? null,
  decisionId: record.decisionId ?? null,
  actorId: record.actorId ?? null,
  eventType: record.eventType ?? null,
  payload: JSON.stringify(record.payload),
  prevHash: record.prevHash,
  hash: record.hash
})

/**
 * Rebuilds a record from its row. Fails with a description when the row cannot be read
 * (payload no longer JSON, a column of the wrong type): `verify` reports such rows as
 * `unreadable` instead of giving up.
 */
export const fromRow = (row: AuditRow): Result.Result<AuditRecord, string> => {
  let payload: unknown
  try {
    payload = JSON.parse(row.payload)
  } catch {
    return Result.fail("the payload is not JSON")
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return Result.fail("the payload is not a JSON object")
  }
  const seq = Number(row.seq)
  if (!Number.isSafeInteger(seq)) return Result.fail("the sequence number is not an integer")
  const record: AuditRecord = {
    version: 1,
    seq,
    customerInstanceId: row.customerInstanceId,
    recordId: row.recordId,
    kind: row.kind,
    ts: row.ts,
    ...(row.runId === null ? {} : { runId: row.runId }),
    ...(row.decisionId === null ? {} : { decisionId: row.decisionId }),
    ...(row.actorId === null ? {} : { actorId: row.actorId }),
    ...(row.eventType === null ? {} : { eventType: row.eventType }),
    payload: payload as JsonObject,
    prevHash: row.prevHash,
    hash: row.hash
  }
  return Result.succeed(record)
}

/** Schema of a stored or exported record (used to read JSONL exports). */
export const AuditRecordSchema = Schema.Struct({
  version: Schema.Literal(1),
  seq: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  customerInstanceId: CustomerInstanceId,
  recordId: Id,
  kind: Schema.String.check(Schema.isPattern(auditKindPattern, { expected: "an audit kind" })),
  ts: Schema.String.check(
    Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/u, {
      expected: "a toISOString() timestamp"
    })
  ),
  runId: Schema.optionalKey(Id),
  decisionId: Schema.optionalKey(Id),
  actorId: Schema.optionalKey(Schema.String.check(Schema.isBetweenLength(1, 256))),
  eventType: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(eventTypePattern, { expected: "an event type" }))
  ),
  payload: Schema.JsonObject,
  prevHash: Sha256Hex,
  hash: Sha256Hex
}).annotate({ identifier: "AuditRecord" })

/** A JSON value, as stored in payloads. */
export type AuditJson = JsonValue
