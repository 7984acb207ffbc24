import type { MatchedRule, PolicyDecisionTraceV1 } from "../../contracts/PolicyDecisionTrace.js"
import type { PolicyRequest } from "../request.js"
import { candidatesOf, forEachCandidate } from "./candidates.js"
import { isoNow, uuidV7 } from "./clock.js"
import type { CompiledPolicy, CompiledRule, LayerIndex } from "./compile.js"
import { matchesRequest } from "./matcher.js"
import { profileOf, type TraceContext } from "./profile.js"

// The hot path. One synchronous pass over the precompiled index: per layer, the candidate list
// for the request's resource (memoized, see candidates.ts; the first time a bucket sees a
// resource, its index walked directly), each candidate tested for what depends on the subject,
// the context and the arguments. The only allocations are the trace, its list of matched rules
// and the decision id (and, the second time a bucket sees a resource, its candidate list). Not
// re-entrant by design: a decision never calls back into user code.

/** The trace lists at most this many matched rules (the contract's bound). */
const maxMatched = 1000

// Matched rules of the evaluation in progress; reused, never escapes. Its length is kept apart
// (`found`): shrinking an array through `length` can free its backing store, and the next
// evaluation would grow it again.
const scratch: Array<CompiledRule> = []
let found = 0

const keep = (rule: CompiledRule) => {
  scratch[found++] = rule
}

const hostContext: TraceContext = Object.freeze({ sandboxed: false })
const sandboxContext: TraceContext = Object.freeze({ sandboxed: true })

const keepIfMatches = (rule: CompiledRule, request: PolicyRequest) => {
  if (rule.free || matchesRequest(rule.matcher!, request)) keep(rule)
}

const scanIndex = (index: LayerIndex | undefined, request: PolicyRequest) => {
  if (index === undefined) return
  const bucket = index.byAction.get(request.action) ?? index.fallback
  if (bucket === undefined) return
  const rules = candidatesOf(bucket, request)
  if (rules === undefined) {
    forEachCandidate(bucket, request, keepIfMatches)
    return
  }
  for (let i = 0; i < rules.length; i++) keepIfMatches(rules[i]!, request)
}

const sortScratch = () => {
  // Insertion sort: matches arrive in order (platform, each layer's candidate list, the run),
  // except those of a bucket walked directly, which are few.
  for (let i = 1; i < found; i++) {
    const rule = scratch[i]!
    let j = i - 1
    while (j >= 0 && scratch[j]!.ordinal > rule.ordinal) {
      scratch[j + 1] = scratch[j]!
      j--
    }
    scratch[j + 1] = rule
  }
}

const defaultDeny = "Denied by default: no rule of any layer grants this action on this resource"

/**
 * Decides one request against a compiled policy and returns the full decision trace.
 *
 * The combining algorithm (docs/adr/0002-policy.md): collect every matching rule of every layer
 * that applies to the request (platform, deployment, the subject's customer instance, its agent
 * profile, the run's tool profile). Any deny wins. Otherwise, when some rule grants (allow or
 * require_approval), any require_approval wins over allow, and the platform approval gate turns a
 * remaining allow of a risky tool into require_approval. Otherwise nothing granted: deny by
 * default. Ties go to the rule first in (layer, id) order.
 */
export const decide = (policy: CompiledPolicy, request: PolicyRequest): PolicyDecisionTraceV1 => {
  found = 0
  const { subject, resource } = request
  const context = request.context

  const platform = policy.platform
  for (let i = 0; i < platform.length; i++) if (platform[i]!.test!(request)) keep(platform[i]!)
  const gateMatched = policy.gate.test!(request)
  if (gateMatched) keep(policy.gate)
  scanIndex(policy.deployment, request)
  if (policy.instances.size > 0) scanIndex(policy.instances.get(subject.customerInstanceId), request)
  if (policy.agents.size > 0 && subject.agentId !== undefined)
    scanIndex(policy.agents.get(subject.agentId), request)

  let traceContext = context?.sandboxed === true ? sandboxContext : hostContext
  const toolProfile = context?.toolProfile
  if (toolProfile !== undefined) {
    const profile = profileOf(toolProfile)
    traceContext = context?.sandboxed === true ? profile.traceContext.sandboxed : profile.traceContext.host
    if (request.action === "tool.invoke" && resource.kind === "tool") {
      const held = profile.check(resource)
      if (held !== undefined) keep(held)
    }
  }

  sortScratch()
  let deny: CompiledRule | undefined
  let approval: CompiledRule | undefined
  let allow: CompiledRule | undefined
  let grants = 0
  const count = Math.min(found, maxMatched)
  const matchedRules: Array<MatchedRule> = new Array(count)
  for (let i = 0; i < found; i++) {
    const rule = scratch[i]!
    if (i < count) matchedRules[i] = rule.entry
    if (rule.effect === "deny") {
      if (deny === undefined) deny = rule
    } else if (rule.gate) {
      // counted below: a gate never grants
    } else {
      grants++
      if (rule.effect === "require_approval") {
        if (approval === undefined) approval = rule
      } else if (allow === undefined) allow = rule
    }
  }

  let effect: PolicyDecisionTraceV1["effect"]
  let deciding: CompiledRule | undefined
  let rationale: string
  if (deny !== undefined) {
    effect = "deny"
    deciding = deny
    rationale = grants > 0 ? deny.reasonOverriding : deny.reason
  } else if (approval !== undefined) {
    effect = "require_approval"
    deciding = approval
    rationale = approval.reason
  } else if (allow !== undefined && gateMatched) {
    effect = "require_approval"
    deciding = policy.gate
    allow.gatedReason ??= `${policy.gate.reason}; granted by ${allow.entry.layer} rule "${allow.entry.ruleId}"`
    rationale = allow.gatedReason
  } else if (allow !== undefined) {
    effect = "allow"
    deciding = allow
    rationale = allow.reason
  } else {
    effect = "deny"
    deciding = undefined
    rationale = defaultDeny
  }
  if (found > maxMatched) rationale = `${rationale} (${found - maxMatched} more matched rules not listed)`
  found = 0

  const now = Date.now()
  const trace: {
    -readonly [K in keyof PolicyDecisionTraceV1]: PolicyDecisionTraceV1[K]
  } = {
    version: 1,
    decisionId: uuidV7(now),
    customerInstanceId: subject.customerInstanceId,
    ts: isoNow(now),
    subject,
    action: request.action,
    resource,
    effect,
    matchedRules,
    requiresApproval: effect === "require_approval",
    rationale: rationale.length > 4096 ? `${rationale.slice(0, 4095)}…` : rationale,
    context: traceContext,
    policyHash: policy.policyHash
  }
  if (deciding !== undefined) trace.decidingRule = deciding.entry
  if (context?.runId !== undefined) trace.runId = context.runId
  return trace
}
