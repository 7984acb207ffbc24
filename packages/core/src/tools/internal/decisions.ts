import type { Actor } from "../../contracts/Actor.js"
import type { PolicyDecisionTraceV1 } from "../../contracts/PolicyDecisionTrace.js"
import type { ToolProfile } from "../../contracts/RunRequest.js"
import { newId } from "../../ids.js"
import type { PolicyRequest } from "../../policy/request.js"
import type { ToolDefinition } from "../ToolDefinition.js"

/** Who is calling and from where: the subject part of every decision the runtime asks for. */
export interface CallSubject {
  readonly customerInstanceId: string
  readonly environment: string
  readonly runId: string
  readonly actor: Actor
  readonly agentId?: string | undefined
  readonly channel?: string | undefined
  readonly toolProfile?: ToolProfile | undefined
}

const scalarFacts = (args: unknown): Record<string, string | number | boolean | null> | undefined => {
  if (typeof args !== "object" || args === null || Array.isArray(args)) return undefined
  const facts: Record<string, string | number | boolean | null> = {}
  let count = 0
  for (const [key, value] of Object.entries(args)) {
    if (count >= 64 || key === "__proto__" || key.length > 64) continue
    if (
      value === null ||
      typeof value === "boolean" ||
      (typeof value === "number" && Number.isFinite(value))
    ) {
      facts[key] = value
      count++
    } else if (typeof value === "string" && value.length <= 2048) {
      facts[key] = value
      count++
    }
  }
  return count > 0 ? facts : undefined
}

/** The `tool.invoke` question for one call; argument scalars become facts rule conditions can test. */
export const toolPolicyRequest = (
  subject: CallSubject,
  tool: ToolDefinition,
  args: unknown,
  sandboxed: boolean
): PolicyRequest => {
  const facts = scalarFacts(args)
  return {
    subject: {
      actor: subject.actor,
      customerInstanceId: subject.customerInstanceId,
      environment: subject.environment,
      ...(subject.agentId === undefined ? {} : { agentId: subject.agentId }),
      ...(subject.channel === undefined ? {} : { channel: subject.channel })
    },
    action: "tool.invoke",
    resource: {
      kind: "tool",
      name: tool.name,
      groups: tool.groups,
      ...(tool.riskClass === undefined ? {} : { riskClass: tool.riskClass })
    },
    context: {
      sandboxed,
      runId: subject.runId,
      ...(subject.toolProfile === undefined ? {} : { toolProfile: subject.toolProfile }),
      ...(facts === undefined ? {} : { facts })
    }
  }
}

/**
 * A denial the runtime itself makes before asking the policy (unknown tool, call budget, rate
 * limit). It is a decision like any other: traced, audited and linked from the invocation.
 */
export const runtimeDenial = (
  subject: CallSubject,
  toolName: string,
  ruleId: string,
  rationale: string,
  now: Date
): PolicyDecisionTraceV1 => {
  const rule = { ruleId, layer: "platform", effect: "deny" } as const
  return {
    version: 1,
    decisionId: newId(),
    customerInstanceId: subject.customerInstanceId,
    runId: subject.runId,
    ts: now.toISOString(),
    subject: {
      actor: subject.actor,
      customerInstanceId: subject.customerInstanceId,
      environment: subject.environment,
      ...(subject.agentId === undefined ? {} : { agentId: subject.agentId }),
      ...(subject.channel === undefined ? {} : { channel: subject.channel })
    },
    action: "tool.invoke",
    resource: { kind: "tool", name: toolName.slice(0, 512) || "(empty)" },
    effect: "deny",
    matchedRules: [rule],
    decidingRule: rule,
    requiresApproval: false,
    rationale
  }
}
