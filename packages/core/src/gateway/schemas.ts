import { Schema } from "effect"
import { AuditRecordSchema } from "../audit/AuditRecord.js"
import { Actor } from "../contracts/Actor.js"
import { ApprovalDecisionV1, ApprovalRequestV1 } from "../contracts/Approval.js"
import {
  BoundedString,
  CustomerInstanceId,
  Environment,
  Id,
  NonNegativeInt,
  Sha256Hex,
  Timestamp
} from "../contracts/primitives.js"
import { RunEventV1 } from "../contracts/RunEvent.js"
import { RunRequestV2 } from "../contracts/RunRequest.js"
import { RunState } from "../contracts/RunState.js"
import { Scope } from "./scopes.js"

/**
 * Wire schemas of what gateway methods return. The orchestrator, the stores and the audit log
 * describe their results as TypeScript interfaces; these schemas say the same in a form the
 * OpenAPI document is generated from, and the gateway tests decode every real result against
 * them, so the document cannot drift from what the methods send.
 */

const Cursor = BoundedString(1024, 1).annotate({ identifier: "Cursor" })

/** A page of `item`, with the cursor of the next page (absent on the last one). */
export const PageOf = <S extends Schema.Top>(item: S, identifier: string) =>
  Schema.Struct({
    items: Schema.Array(item),
    nextCursor: Schema.optionalKey(Cursor)
  }).annotate({ identifier, title: identifier })

/** A worker's claim on a run. */
export const RunLeaseSchema = Schema.Struct({
  workerId: Schema.String,
  epoch: NonNegativeInt,
  expiresAt: Schema.String
}).annotate({ identifier: "RunLease" })

/** A run as stored. */
export const RunRecordSchema = Schema.Struct({
  customerInstanceId: CustomerInstanceId,
  runId: Id,
  state: RunState,
  version: NonNegativeInt,
  request: RunRequestV2,
  requestHash: Sha256Hex,
  idempotencyKey: Schema.optionalKey(Schema.String),
  createdAt: Schema.String,
  updatedAt: Schema.String,
  leaseEpoch: NonNegativeInt,
  lease: Schema.optionalKey(RunLeaseSchema)
}).annotate({ identifier: "RunRecord" })

/** Why a run ended FAILED or CANCELLED. */
export const RunEndReasonSchema = Schema.Struct({
  code: Schema.String,
  message: Schema.String,
  actor: Schema.optionalKey(Actor)
}).annotate({ identifier: "RunEndReason" })

/** A run as `runs.*` methods return it. */
export const RunViewSchema = Schema.Struct({
  run: RunRecordSchema,
  output: Schema.optionalKey(Schema.String),
  endReason: Schema.optionalKey(RunEndReasonSchema),
  pendingApprovalId: Schema.optionalKey(Id),
  usage: Schema.Struct({
    steps: NonNegativeInt,
    toolCalls: NonNegativeInt,
    inputTokens: NonNegativeInt,
    outputTokens: NonNegativeInt
  })
}).annotate({ identifier: "RunView", title: "RunView" })

/** An approval and, once decided, its decision. */
export const ApprovalRecordSchema = Schema.Struct({
  customerInstanceId: CustomerInstanceId,
  approvalId: Id,
  runId: Id,
  status: Schema.Literals(["pending", "approved", "denied", "expired", "consumed"]),
  request: ApprovalRequestV1,
  decision: Schema.optionalKey(ApprovalDecisionV1),
  expiresAt: Schema.String,
  consumedAt: Schema.optionalKey(Schema.String),
  createdAt: Schema.String,
  updatedAt: Schema.String
}).annotate({ identifier: "ApprovalRecord", title: "ApprovalRecord" })

/** One finding of an audit chain verification. */
export const VerifyProblemSchema = Schema.Struct({
  kind: Schema.Literals([
    "hash-mismatch",
    "broken-link",
    "missing",
    "out-of-order",
    "foreign-instance",
    "time-regression",
    "unreadable",
    "unanchored-start",
    "anchor-mismatch",
    "checkpoint-mismatch",
    "checkpoint-beyond-head",
    "checkpoint-signature"
  ]),
  seq: Schema.optionalKey(Schema.Int),
  recordId: Schema.optionalKey(Schema.String),
  line: Schema.optionalKey(Schema.Int),
  message: Schema.String
}).annotate({ identifier: "VerifyProblem" })

/** The result of verifying an audit chain: `ok`, and where it is broken if not. */
export const VerifyReportSchema = Schema.Struct({
  ok: Schema.Boolean,
  customerInstanceId: CustomerInstanceId,
  checked: NonNegativeInt,
  firstSeq: Schema.optionalKey(Schema.Int),
  lastSeq: Schema.optionalKey(Schema.Int),
  lastHash: Schema.optionalKey(Sha256Hex),
  problems: Schema.Array(VerifyProblemSchema),
  problemCount: NonNegativeInt,
  checkpointsVerified: NonNegativeInt,
  checkpointsPruned: NonNegativeInt
}).annotate({ identifier: "VerifyReport", title: "VerifyReport" })

/** Who the caller is, as its credential says. */
export const PrincipalSchema = Schema.Struct({
  keyId: Id,
  name: Schema.String,
  customerInstanceId: CustomerInstanceId,
  environment: Environment,
  actor: Actor,
  scopes: Schema.Array(Scope),
  expiresAt: Schema.optionalKey(Timestamp)
}).annotate({ identifier: "Principal", title: "Principal" })

/** Pages of each listed kind. */
export const RunViewPage = PageOf(RunViewSchema, "RunViewPage")
export const RunEventPage = PageOf(RunEventV1, "RunEventPage")
export const AuditRecordPage = PageOf(AuditRecordSchema, "AuditRecordPage")
export const ApprovalRecordPage = PageOf(ApprovalRecordSchema, "ApprovalRecordPage")
