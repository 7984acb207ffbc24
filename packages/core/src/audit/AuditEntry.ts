import { Result, Schema } from "effect"
import type { JsonObject } from "effect/Schema"
import { ApprovalDecisionV1, ApprovalRequestV1 } from "../contracts/Approval.js"
import { problemsOf } from "../contracts/decode.js"
import { compileFastCheck, type FastCheck } from "../contracts/internal/fastCheck.js"
import { PolicyDecisionTraceV1 } from "../contracts/PolicyDecisionTrace.js"
import { Id } from "../contracts/primitives.js"
import { RunEventV1 } from "../contracts/RunEvent.js"
import { ToolInvocationV1 } from "../contracts/ToolInvocation.js"
import { canonicalJson } from "../hash.js"
import { InvalidInputError, type JsonProblem } from "../json/JsonError.js"
import { defaultJsonLimits } from "../json/limits.js"
import { checkJsonValue } from "../json/safeJson.js"
import { type AuditKind, auditKindPattern, eventTypePattern } from "./AuditRecord.js"

/**
 * What a caller appends. For the known kinds the payload is decoded against its contract and
 * the index fields are taken from it; any other kind carries a JSON object and names its own
 * index fields. `recordId` makes an append idempotent: appending the same entry again with the
 * same `recordId` returns the first record instead of a second one, so a retry after an
 * unknown outcome (a dropped connection) is safe.
 *
 * @example
 * ```ts
 * yield* audit.append(ci, { kind: "policy_decision", payload: trace })
 * yield* audit.append(ci, { kind: "egress_event", eventType: "egress.denied", runId, payload: { host } })
 * ```
 */
export type AuditEntry =
  | KnownEntry<"run_event", RunEventV1>
  | KnownEntry<"tool_invocation", ToolInvocationV1>
  | KnownEntry<"policy_decision", PolicyDecisionTraceV1>
  | KnownEntry<"approval_request", ApprovalRequestV1>
  | KnownEntry<"approval_decision", ApprovalDecisionV1>
  | OpenEntry

interface IndexFields {
  readonly recordId?: string
  readonly runId?: string
  readonly decisionId?: string
  readonly actorId?: string
  readonly eventType?: string
}

/** An entry of a kind with a published contract. */
export interface KnownEntry<K extends string, P> extends IndexFields {
  readonly kind: K
  readonly payload: P
}

/** An entry of any other kind (plugin, egress, auth events, or a module's own). */
export interface OpenEntry extends IndexFields {
  readonly kind: AuditKind
  readonly payload: JsonObject
}

/** Largest payload accepted, as bytes of canonical JSON. */
export const maxAuditPayloadBytes = 512 * 1024

/** An entry checked and ready to be chained. */
export interface PreparedEntry {
  readonly recordId?: string
  readonly kind: string
  readonly runId?: string
  readonly decisionId?: string
  readonly actorId?: string
  readonly eventType?: string
  readonly payload: JsonObject
}

type Derived = Omit<PreparedEntry, "kind" | "payload" | "recordId">

interface Contract {
  readonly schema: Schema.Codec<unknown>
  readonly name: string
  readonly derive: (p: never) => Derived
}

const contracts: Record<string, Contract> = {
  run_event: {
    schema: RunEventV1,
    name: "RunEventV1",
    derive: (p: RunEventV1) => ({ runId: p.runId, eventType: p.type })
  },
  tool_invocation: {
    schema: ToolInvocationV1,
    name: "ToolInvocationV1",
    derive: (p: ToolInvocationV1) => ({
      runId: p.runId,
      decisionId: p.policyDecisionId,
      eventType: `tool.${p.outcome}`
    })
  },
  policy_decision: {
    schema: PolicyDecisionTraceV1,
    name: "PolicyDecisionTraceV1",
    derive: (p: PolicyDecisionTraceV1) => ({
      ...(p.runId === undefined ? {} : { runId: p.runId }),
      decisionId: p.decisionId,
      actorId: p.subject.actor.id,
      eventType: `policy.${p.effect}`
    })
  },
  approval_request: {
    schema: ApprovalRequestV1,
    name: "ApprovalRequestV1",
    derive: (p: ApprovalRequestV1) => ({
      runId: p.runId,
      decisionId: p.policyDecisionId,
      actorId: p.requestedBy.id,
      eventType: "approval.requested"
    })
  },
  approval_decision: {
    schema: ApprovalDecisionV1,
    name: "ApprovalDecisionV1",
    derive: (p: ApprovalDecisionV1) => ({
      runId: p.runId,
      ...(p.policyDecisionId === undefined ? {} : { decisionId: p.policyDecisionId }),
      actorId: p.decidedBy.id,
      eventType: `approval.${p.outcome}`
    })
  }
}

const isId = Schema.is(Id)
const strict = { errors: "all", onExcessProperty: "error" } as const

/** Compiled on first use, so that importing core compiles nothing. */
const fastChecks = new Map<Contract, FastCheck | undefined>()
const fastCheckOf = (contract: Contract): FastCheck | undefined => {
  if (!fastChecks.has(contract)) fastChecks.set(contract, compileFastCheck(contract.schema))
  return fastChecks.get(contract)
}

/**
 * Decodes a payload that already passed `checkJsonValue` with the default limits against its
 * contract: the same answer as `decodeUnknown`, without walking the payload for limits twice.
 * A payload the compiled check accepts is one the decoder accepts (tests prove it on random
 * valid and mutated payloads), and such a payload is its own decoded value (these contracts
 * transform nothing); any other payload goes through the decoder, which names what is wrong.
 */
const decodeContract = (contract: Contract, payload: unknown): Result.Result<unknown, InvalidInputError> => {
  if (fastCheckOf(contract)?.(payload) === true) return Result.succeed(payload)
  const decoded = Schema.decodeUnknownResult(contract.schema)(payload, strict)
  if (Result.isSuccess(decoded)) return Result.succeed(decoded.success)
  return Result.fail(
    new InvalidInputError({
      reason: "invalid",
      subject: contract.name,
      problems: problemsOf(decoded.failure.issue, payload)
    })
  )
}

/**
 * The canonical JSON text of a prepared entry's payload, as it was checked, kept on the entry
 * under a private key (copies such as `assignRecordIds` makes carry it along). Chaining splices
 * it into the record's text instead of serializing the payload again. It is used only while the
 * entry still holds the very payload object it was computed from; any other entry is serialized
 * in full.
 */
const payloadTextKey: unique symbol = Symbol("@bga/core/audit/payloadText")

interface WithPayloadText {
  readonly [payloadTextKey]?: { readonly payload: object; readonly text: string }
}

/** @internal The payload text `prepareEntry` checked, if `entry` came from it unchanged. */
export const preparedPayloadText = (entry: PreparedEntry): string | undefined => {
  const kept = (entry as WithPayloadText)[payloadTextKey]
  return kept !== undefined && kept.payload === entry.payload ? kept.text : undefined
}

const entryKeys = new Set(["kind", "payload", "recordId", "runId", "decisionId", "actorId", "eventType"])
const idKeys = ["runId", "decisionId"] as const
const indexKeys = ["runId", "decisionId", "actorId", "eventType"] as const

/**
 * Checks an entry for `customerInstanceId` and derives its index fields. Refuses unknown keys,
 * a payload of another instance, index fields that contradict the payload, the reserved
 * `anchor` kind, and payloads over `maxAuditPayloadBytes`.
 */
export const prepareEntry = (
  subject: string,
  customerInstanceId: string,
  entry: unknown,
  path = "$.entry"
): Result.Result<PreparedEntry, InvalidInputError> => {
  const problems: Array<JsonProblem> = []
  const fail = (p: string, message: string) => {
    problems.push({ path: `${path}${p}`, message })
  }
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    return Result.fail(
      new InvalidInputError({
        reason: "invalid",
        subject,
        problems: [{ path, message: "expected an audit entry object" }]
      })
    )
  }
  const e = entry as Record<string, unknown>
  for (const key of Object.keys(e)) if (!entryKeys.has(key)) fail(`.${key}`, "unknown key")
  const kind = e.kind
  if (typeof kind !== "string" || !auditKindPattern.test(kind)) {
    fail(".kind", "expected an audit kind: lowercase letters, digits and _, 1 to 64 characters")
  } else if (kind === "anchor") {
    fail(".kind", "anchor records are written by retention only")
  }
  if (e.recordId !== undefined && !(typeof e.recordId === "string" && isId(e.recordId))) {
    fail(".recordId", "expected a lowercase UUIDv7")
  }
  for (const key of idKeys) {
    if (e[key] !== undefined && !(typeof e[key] === "string" && isId(e[key])))
      fail(`.${key}`, "expected a lowercase UUIDv7")
  }
  if (
    e.actorId !== undefined &&
    !(typeof e.actorId === "string" && e.actorId.length >= 1 && e.actorId.length <= 256)
  ) {
    fail(".actorId", "expected a string of 1 to 256 characters")
  }
  if (e.eventType !== undefined && !(typeof e.eventType === "string" && eventTypePattern.test(e.eventType))) {
    fail(".eventType", "expected an event type such as egress.denied")
  }
  const payload = e.payload
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    fail(".payload", "expected a JSON object")
  }
  if (problems.length > 0) return Result.fail(new InvalidInputError({ reason: "invalid", subject, problems }))

  const checked = checkJsonValue(payload, subject, defaultJsonLimits)
  if (Result.isFailure(checked)) {
    return Result.fail(
      new InvalidInputError({
        reason: checked.failure.reason,
        subject,
        problems: checked.failure.problems.map((p) => ({
          ...p,
          path: p.path.replace(/^\$/u, `${path}.payload`)
        }))
      })
    )
  }
  // The canonical text is needed for the record's hash anyway: written once, measured here.
  // A UTF-16 code unit takes at most 3 bytes of UTF-8, so short text needs no exact count.
  const payloadText = canonicalJson(payload)
  const bytes = payloadText.length * 3 <= maxAuditPayloadBytes ? 0 : Buffer.byteLength(payloadText, "utf8")
  if (bytes > maxAuditPayloadBytes) {
    return Result.fail(
      new InvalidInputError({
        reason: "too-large",
        subject,
        problems: [
          { path: `${path}.payload`, message: `${bytes} bytes exceed the limit of ${maxAuditPayloadBytes}` }
        ]
      })
    )
  }
  const body = payload as Record<string, unknown>
  if ("customerInstanceId" in body && body.customerInstanceId !== customerInstanceId) {
    return Result.fail(
      new InvalidInputError({
        reason: "invalid",
        subject,
        problems: [
          {
            path: `${path}.payload.customerInstanceId`,
            message: "the payload names another customer instance than the log it is appended to"
          }
        ]
      })
    )
  }

  let derived: Derived = {}
  const contract = contracts[kind as string]
  if (contract !== undefined) {
    const decoded = decodeContract(contract, payload)
    if (Result.isFailure(decoded)) {
      return Result.fail(
        new InvalidInputError({
          reason: decoded.failure.reason,
          subject,
          problems: decoded.failure.problems.map((p) => ({
            ...p,
            path: p.path.replace(/^\$/u, `${path}.payload`)
          }))
        })
      )
    }
    derived = contract.derive(decoded.success as never)
  }
  const prepared: Record<string | symbol, unknown> = { kind, payload }
  for (const key of indexKeys) {
    const given = e[key] as string | undefined
    const fromPayload = derived[key]
    if (given !== undefined && fromPayload !== undefined && given !== fromPayload) {
      fail(`.${key}`, `contradicts the payload (${JSON.stringify(fromPayload)})`)
    }
    const value = fromPayload ?? given
    if (value !== undefined) prepared[key] = value
  }
  if (problems.length > 0) return Result.fail(new InvalidInputError({ reason: "invalid", subject, problems }))
  if (e.recordId !== undefined) prepared.recordId = e.recordId
  prepared[payloadTextKey] = { payload, text: payloadText }
  return Result.succeed(prepared as unknown as PreparedEntry)
}
