import type { ApprovalDecisionV1, ApprovalRequestV1 } from "../contracts/Approval.js"
import type { PolicyDecisionTraceV1 } from "../contracts/PolicyDecisionTrace.js"
import type { RunEventV1 } from "../contracts/RunEvent.js"
import type { RunRequestV2 } from "../contracts/RunRequest.js"
import type { ToolInvocationV1 } from "../contracts/ToolInvocation.js"
import { hashOf } from "../hash.js"
import { newId, newTraceId } from "../ids.js"
import { isoOf } from "../storage/validate.js"

/**
 * Valid contract values for tests. Every fixture takes the customer instance it belongs to;
 * `instanceId()` makes a fresh one, so tests sharing a store never see each other's rows.
 */

let counter = 0

/** A customer instance id no other test uses. */
export const instanceId = (label = "ci"): string =>
  `${label}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`

/** A run request of `customerInstanceId`. */
export const runRequest = (
  customerInstanceId: string,
  overrides: Partial<RunRequestV2> = {}
): RunRequestV2 => ({
  version: 2,
  customerInstanceId,
  environment: "production",
  actor: { kind: "user", id: "u-1", roles: ["operator"] },
  input: { text: "summarise the open invoices" },
  ...overrides
})

/** A run event of a run. */
export const runEvent = (
  customerInstanceId: string,
  runId: string,
  overrides: Partial<RunEventV1> = {}
): RunEventV1 => ({
  version: 1,
  eventId: newId(),
  runId,
  customerInstanceId,
  environment: "production",
  ts: "2026-01-31T12:00:00.000Z",
  type: "run.state_changed",
  phase: "RUNNING",
  payload: { from: "QUEUED" },
  traceId: newTraceId(),
  ...overrides
})

/** A policy decision about a tool call in a run. */
export const policyDecision = (
  customerInstanceId: string,
  runId: string,
  overrides: Partial<PolicyDecisionTraceV1> = {}
): PolicyDecisionTraceV1 => ({
  version: 1,
  decisionId: newId(),
  customerInstanceId,
  runId,
  ts: "2026-01-31T12:00:00.000Z",
  subject: {
    actor: { kind: "user", id: "u-1", roles: ["operator"] },
    customerInstanceId,
    environment: "production"
  },
  action: "tool.invoke",
  resource: { kind: "tool", name: "web_fetch" },
  effect: "allow",
  matchedRules: [{ ruleId: "allow-web", layer: "customer_instance", effect: "allow" }],
  decidingRule: { ruleId: "allow-web", layer: "customer_instance", effect: "allow" },
  requiresApproval: false,
  rationale: "web_fetch is allowed for operators",
  ...overrides
})

/** The invocation record of a tool call allowed by `decisionId`. */
export const toolInvocation = (
  customerInstanceId: string,
  runId: string,
  decisionId: string,
  overrides: Partial<ToolInvocationV1> = {}
): ToolInvocationV1 => ({
  version: 1,
  invocationId: newId(),
  runId,
  customerInstanceId,
  environment: "production",
  toolName: "web_fetch",
  argsHash: hashOf({ url: "https://api.example.com/" }),
  policyDecisionId: decisionId,
  startedAt: "2026-01-31T12:00:00.000Z",
  endedAt: "2026-01-31T12:00:01.000Z",
  outcome: "succeeded",
  redactionMeta: { redactedPaths: [], secretsRedacted: 0, outputTruncated: false },
  ...overrides
})

/** An approval request of a run, expiring `ttlMs` after `nowMs`. */
export const approvalRequest = (
  customerInstanceId: string,
  runId: string,
  nowMs: number,
  ttlMs = 60_000,
  overrides: Partial<ApprovalRequestV1> = {}
): ApprovalRequestV1 => ({
  version: 1,
  approvalId: newId(),
  runId,
  customerInstanceId,
  environment: "production",
  toolName: "email_send",
  argsHash: hashOf({ to: "cfo@example.com" }),
  argsPreview: { to: "cfo@example.com" },
  policyDecisionId: newId(),
  requestedBy: { kind: "agent", id: "agent-1", roles: [] },
  requestedAt: isoOf(nowMs),
  expiresAt: isoOf(nowMs + ttlMs),
  ...overrides
})

/** A decision on `request`. */
export const approvalDecision = (
  request: ApprovalRequestV1,
  outcome: "approved" | "denied",
  nowMs: number,
  overrides: Partial<ApprovalDecisionV1> = {}
): ApprovalDecisionV1 => ({
  version: 1,
  approvalId: request.approvalId,
  runId: request.runId,
  customerInstanceId: request.customerInstanceId,
  argsHash: request.argsHash,
  outcome,
  decidedBy: { kind: "user", id: "approver-1", roles: ["approver"] },
  decidedAt: isoOf(nowMs),
  ...overrides
})
