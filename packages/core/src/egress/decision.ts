import type { Actor } from "../contracts/Actor.js"
import type { MatchedRule, PolicyDecisionTraceV1, PolicyLayer } from "../contracts/PolicyDecisionTrace.js"
import { newId } from "../ids.js"
import type { EgressBlock } from "./check.js"
import type { EgressPolicy } from "./policy.js"

/** The policy action every egress decision is about. */
export const egressAction = "egress.fetch"

/**
 * Who is fetching, for whom. Every guarded request names its customer instance; the guard
 * applies that instance's policy and records under it.
 */
export interface EgressContext {
  readonly customerInstanceId: string
  readonly actor: Actor
  readonly environment: string
  readonly runId?: string
  readonly agentId?: string
  /** Cancels the request (with everything it still has to do) when aborted. */
  readonly signal?: AbortSignal
}

/** The rule id that decides a block: `egress.<reason>`. */
export const ruleIdOf = (block: EgressBlock): string => `egress.${block.reason}`

/** The configuration layer a block came from: always-on rules are the platform's. */
export const layerOf = (block: EgressBlock, policy: EgressPolicy): PolicyLayer => {
  if (block.reason === "not-allowlisted") return policy.allowlistLayer
  if (block.reason === "blocked-port") return policy.portsLayer
  return "platform"
}

/** Builds the deny decision for a blocked request (pure apart from the new id and the clock). */
export const blockDecision = (
  block: EgressBlock,
  policy: EgressPolicy,
  context: EgressContext,
  url: string
): PolicyDecisionTraceV1 => {
  const rule: MatchedRule = { ruleId: ruleIdOf(block), layer: layerOf(block, policy), effect: "deny" }
  const attributes: Record<string, string | number | boolean | null> = { reason: block.reason }
  if (url !== "") attributes.url = url.slice(0, 2048)
  if (block.address !== undefined) attributes.address = block.address
  return {
    version: 1,
    decisionId: newId(),
    customerInstanceId: context.customerInstanceId,
    ...(context.runId === undefined ? {} : { runId: context.runId }),
    ts: new Date().toISOString(),
    subject: {
      actor: context.actor,
      customerInstanceId: context.customerInstanceId,
      environment: context.environment,
      ...(context.agentId === undefined ? {} : { agentId: context.agentId })
    },
    action: egressAction,
    resource: {
      kind: "host",
      name: (block.host ?? "") === "" ? "(unknown)" : (block.host ?? "").slice(0, 512),
      groups: ["group:web"],
      attributes
    },
    effect: "deny",
    matchedRules: [rule],
    decidingRule: rule,
    requiresApproval: false,
    rationale: block.detail.slice(0, 4096)
  }
}
