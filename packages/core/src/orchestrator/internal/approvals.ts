import { Effect, Result } from "effect"
import { instanceSettings } from "../../config/load.js"
import type { ApprovalOutcome, ApprovalRequestV1 } from "../../contracts/Approval.js"
import type { PolicyDecisionTraceV1 } from "../../contracts/PolicyDecisionTrace.js"
import type { RunEventV1 } from "../../contracts/RunEvent.js"
import { newId } from "../../ids.js"
import { systemActor } from "../../storage/makeApprovalStore.js"
import { argsPreview } from "../../tools/internal/preview.js"
import type { ToolCallAwaitingApproval, ToolCallStarted } from "../Checkpoint.js"
import * as RunEvents from "../RunEvents.js"
import type { Env } from "./env.js"
import { eventIdFor, eventKeys } from "./ids.js"
import type { SessionState } from "./state.js"

/** Where an approval stands, as the loop needs it. */
export type ApprovalStatus =
  | { readonly _tag: "Pending" }
  | {
      readonly _tag: "Decided"
      readonly approvalId: string
      readonly outcome: ApprovalOutcome
      readonly decidedBy: ApprovalRequestV1["requestedBy"]
      readonly decidedAt: string
    }

/**
 * Reads an approval. One still pending after its deadline is expired here (through the tool
 * runtime, which audits the expiry) rather than left for the next sweep. A missing approval
 * (removed by retention) counts as expired: nobody approved the call.
 */
export const approvalStatus = (env: Env, customerInstanceId: string, approvalId: string) =>
  Effect.gen(function* () {
    const found = yield* Effect.result(env.approvals.get(customerInstanceId, approvalId))
    if (Result.isFailure(found)) {
      if (found.failure._tag === "@bga/core/NotFoundError") {
        return {
          _tag: "Decided",
          approvalId,
          outcome: "expired",
          decidedBy: systemActor,
          decidedAt: new Date().toISOString()
        } satisfies ApprovalStatus as ApprovalStatus
      }
      return yield* Effect.fail(found.failure)
    }
    let record = found.success
    if (record.status === "pending" && record.expiresAt <= new Date().toISOString()) {
      yield* env.tools.expireApprovals(customerInstanceId)
      record = yield* env.approvals.get(customerInstanceId, approvalId)
    }
    if (record.status === "pending") return { _tag: "Pending" } satisfies ApprovalStatus as ApprovalStatus
    // `consumed` was approved (and used by a call, which a waiting call cannot be).
    const outcome: ApprovalOutcome =
      record.status === "consumed" ? "approved" : (record.decision?.outcome ?? record.status)
    return {
      _tag: "Decided",
      approvalId,
      outcome,
      decidedBy: record.decision?.decidedBy ?? systemActor,
      decidedAt: record.decision?.decidedAt ?? record.updatedAt
    } satisfies ApprovalStatus as ApprovalStatus
  })

/**
 * `run.approval_resolved`, with an id derived from the approval: whichever session applies the
 * decision (also again after a crash), the timeline shows it once.
 */
export const approvalResolvedEvent = (
  s: SessionState,
  status: Extract<ApprovalStatus, { _tag: "Decided" }>
): RunEventV1 => ({
  ...RunEvents.approvalResolved(
    s.context,
    s.run.state,
    { approvalId: status.approvalId, outcome: status.outcome, decidedBy: status.decidedBy },
    new Date(status.decidedAt)
  ),
  eventId: eventIdFor(s.run.runId, eventKeys.approvalResolved(status.approvalId))
})

/**
 * Asks a human whether to run again a call to a non-idempotent tool that a crash interrupted
 * (recovery set to `require_approval`). The request is a decision of the platform layer (rule
 * `orchestrator.outcome-unknown`), audited like any other, and the approval is bound to the
 * call's arguments; approved, the tool runtime runs the call once more under that approval.
 */
export const requestReapproval = (env: Env, s: SessionState, started: ToolCallStarted) =>
  Effect.gen(function* () {
    const request = s.run.request
    const ci = s.run.customerInstanceId
    const now = new Date()
    const rule = {
      ruleId: "orchestrator.outcome-unknown",
      layer: "platform",
      effect: "require_approval"
    } as const
    const decision: PolicyDecisionTraceV1 = {
      version: 1,
      decisionId: newId(),
      customerInstanceId: ci,
      runId: s.run.runId,
      ts: now.toISOString(),
      subject: {
        actor: request.actor,
        customerInstanceId: ci,
        environment: request.environment,
        ...(request.policyContext?.agentId === undefined ? {} : { agentId: request.policyContext.agentId }),
        ...(request.channelContext === undefined ? {} : { channel: request.channelContext.channel })
      },
      action: "tool.invoke",
      resource: { kind: "tool", name: started.call.name.slice(0, 512) || "(empty)" },
      effect: "require_approval",
      matchedRules: [rule],
      decidingRule: rule,
      requiresApproval: true,
      rationale: `invocation ${started.invocationId} of ${started.call.name} was interrupted and may or may not have taken effect; the tool is not idempotent, so running it again needs a human`
    }
    const tool = env.options.toolInfo(started.call.name)
    const ttlMinutes = env.config === undefined ? 30 : instanceSettings(env.config, ci).approvalTtlMinutes
    const approval: ApprovalRequestV1 = {
      version: 1,
      approvalId: newId(),
      runId: s.run.runId,
      customerInstanceId: ci,
      environment: request.environment,
      toolName: started.call.name,
      argsHash: started.argsHash,
      // A tool this process does not know may have sensitive arguments: show none.
      argsPreview: (tool === undefined
        ? "[arguments hidden: the tool is not registered in this process]"
        : argsPreview(started.call.args, tool.redactArgs).value) as ApprovalRequestV1["argsPreview"],
      policyDecisionId: decision.decisionId,
      requestedBy: request.actor,
      requestedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlMinutes * 60_000).toISOString()
    }
    yield* env.approvals.create(ci, approval)
    yield* env.audit.appendAll(ci, [
      { kind: "policy_decision", payload: decision },
      { kind: "approval_request", payload: approval }
    ])
    const waiting: ToolCallAwaitingApproval = {
      status: "awaiting_approval",
      call: started.call,
      argsHash: started.argsHash,
      approvalId: approval.approvalId,
      reapproval: true,
      retryOf: started.invocationId
    }
    const event = RunEvents.approvalRequested(s.context, s.run.state, {
      approvalId: approval.approvalId,
      toolCallId: started.call.id,
      toolName: started.call.name,
      argsHash: started.argsHash,
      expiresAt: approval.expiresAt,
      reapproval: true
    })
    return { waiting, event }
  })
