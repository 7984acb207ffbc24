import type { MatchedRule, PolicyDecisionTraceV1 } from "../../contracts/PolicyDecisionTrace.js"
import type { PolicyRequest } from "../request.js"
import { lookupAffixes } from "./affix.js"
import { isoNow, uuidV7 } from "./clock.js"
import type { Bucket, CompiledPolicy, CompiledRule, LayerIndex } from "./compile.js"
import { matches } from "./matcher.js"
import { profileOf, type TraceContext } from "./profile.js"

// The hot path. One synchronous pass over the precompiled index; the only allocations are the
// trace, its list of matched rules and the decision id. Not re-entrant by design: a decision
// never calls back into user code.

/** The trace lists at most this many matched rules (the contract's bound). */
const maxMatched = 1000

let epoch = 0
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

const scanList = (list: ReadonlyArray<CompiledRule> | undefined, request: PolicyRequest, stamp: number) => {
  if (list === undefined) return
  for (let i = 0; i < list.length; i++) {
    const rule = list[i]!
    if (rule.seen === stamp) continue
    rule.seen = stamp
    if (rule.bare || matches(rule.matcher!, request)) keep(rule)
  }
}

const scanAffixItems = (items: ReadonlyArray<CompiledRule>, request: PolicyRequest) =>
  scanList(items, request, epoch)

const scanBucket = (bucket: Bucket, request: PolicyRequest, stamp: number) => {
  const resource = request.resource
  if (bucket.byName !== undefined) scanList(bucket.byName.get(resource.name), request, stamp)
  // Groups hold tools only: a host or plugin claiming a group is in none.
  if (bucket.byGroup !== undefined && resource.groups !== undefined && resource.kind === "tool") {
    const groups = resource.groups
    for (let i = 0; i < groups.length; i++) scanList(bucket.byGroup.get(groups[i]!), request, stamp)
  }
  if (bucket.byRisk !== undefined && resource.riskClass !== undefined)
    scanList(bucket.byRisk.get(resource.riskClass), request, stamp)
  if (bucket.prefixes !== undefined) lookupAffixes(bucket.prefixes, resource.name, scanAffixItems, request)
  if (bucket.suffixes !== undefined) lookupAffixes(bucket.suffixes, resource.name, scanAffixItems, request)
  if (bucket.rest !== undefined) scanList(bucket.rest, request, stamp)
}

const scanIndex = (index: LayerIndex | undefined, request: PolicyRequest, stamp: number) => {
  if (index === undefined) return
  const bucket = index.byAction.get(request.action) ?? index.fallback
  if (bucket !== undefined) scanBucket(bucket, request, stamp)
}

const sortScratch = () => {
  // Insertion sort: matches are few and mostly in order already (layers are scanned in order).
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
  const stamp = ++epoch
  found = 0
  const { subject, resource } = request
  const context = request.context

  const platform = policy.platform
  for (let i = 0; i < platform.length; i++) if (platform[i]!.test!(request)) keep(platform[i]!)
  const gateMatched = policy.gate.test!(request)
  if (gateMatched) keep(policy.gate)
  scanIndex(policy.deployment, request, stamp)
  if (policy.instances.size > 0) scanIndex(policy.instances.get(subject.customerInstanceId), request, stamp)
  if (policy.agents.size > 0 && subject.agentId !== undefined)
    scanIndex(policy.agents.get(subject.agentId), request, stamp)

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
