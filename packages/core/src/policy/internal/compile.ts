import type { BgaConfig } from "../../config/schema.js"
import type { MatchedRule, PolicyEffect, PolicyLayer } from "../../contracts/PolicyDecisionTrace.js"
import type { PolicyDocument, Rule } from "../document.js"
import type { PolicyRequest } from "../request.js"
import { isRiskyClass, PolicyActions, toolGroups } from "../taxonomy.js"
import { compileValueTest } from "./conditions.js"
import { compileAny, isGlob } from "./glob.js"
import { emptyTrie, insert, isEmpty, type Trie } from "./trie.js"
import { type LocatedRule, listOf, locateRules } from "./validate.js"

/** A rule ready for the hot path: one test function and its trace entry, made once. */
export interface CompiledRule {
  /** Position in the total order (layer, then id): decides ties and orders the trace. */
  readonly ordinal: number
  readonly layer: PolicyLayer
  readonly effect: PolicyEffect
  /** The trace entry, shared by every trace that lists this rule. */
  readonly entry: MatchedRule
  /** The rule's rationale, prefixed with what it did and where it comes from. */
  readonly reason: string
  /** A platform gate turns allows into approvals; it never grants on its own. */
  readonly gate: boolean
  readonly test: (request: PolicyRequest) => boolean
  /** Evaluation stamp: a rule reachable through several index keys is checked once. */
  seen: number
}

/** Rules for one action, indexed by what they say about the resource. */
export interface Bucket {
  readonly byName: Map<string, Array<CompiledRule>>
  readonly byGroup: Map<string, Array<CompiledRule>>
  readonly byRisk: Map<string, Array<CompiledRule>>
  /** Rules with `prefix*` name globs, by prefix. */
  readonly prefixes: Trie<CompiledRule>
  /** Rules with `*suffix` name globs, by suffix (`*.example.com`). */
  readonly suffixes: Trie<CompiledRule>
  /** Rules with other globs or no resource constraint: checked for every request. */
  readonly rest: Array<CompiledRule>
}

/** The rules of one layer (or one customer instance, or one agent profile), by action. */
export interface LayerIndex {
  readonly byAction: Map<string, Bucket>
  /** Rules whose actions are globs or absent, for actions no rule names exactly. */
  readonly fallback: Bucket
}

/** The platform baseline, from the configuration. */
export interface Baseline {
  readonly riskyExecution: "sandbox_only" | "deny"
  readonly riskyRequireApproval: boolean
  /** Customer instances whose `tools.riskyRequireApproval` differs from the platform value. */
  readonly riskyRequireApprovalByInstance: ReadonlyMap<string, boolean>
}

/** Reads the platform baseline out of the configuration. */
export const baselineOf = (config: BgaConfig): Baseline => {
  const byInstance = new Map<string, boolean>()
  for (const [id, settings] of Object.entries(config.customerInstances)) {
    const own = settings.tools?.riskyRequireApproval
    if (own !== undefined) byInstance.set(id, own)
  }
  return {
    riskyExecution: config.tools.riskyExecution,
    riskyRequireApproval: config.tools.riskyRequireApproval,
    riskyRequireApprovalByInstance: byInstance
  }
}

/** A compiled policy: immutable after compilation, shared by every evaluation. */
export interface CompiledPolicy {
  readonly platform: ReadonlyArray<CompiledRule>
  readonly gate: CompiledRule
  readonly baseline: Baseline
  readonly deployment: LayerIndex
  readonly instances: ReadonlyMap<string, LayerIndex>
  readonly agents: ReadonlyMap<string, LayerIndex>
  readonly groups: ReadonlySet<string>
  readonly ruleCount: number
  /** `hashOf` the document and baseline: names the policy version in every trace. */
  readonly policyHash: string
}

const layerRank: Record<PolicyLayer, number> = {
  platform: 0,
  deployment: 1,
  customer_instance: 2,
  agent_profile: 3,
  run: 4
}

const verb: Record<PolicyEffect, string> = {
  allow: "Allowed",
  deny: "Denied",
  require_approval: "Requires approval"
}

const layerName: Record<PolicyLayer, string> = {
  platform: "platform",
  deployment: "deployment",
  customer_instance: "customer instance",
  agent_profile: "agent profile",
  run: "run"
}

/** Makes a compiled rule (platform rules are written in code, the others come from documents). */
export const makeRule = (options: {
  readonly ordinal: number
  readonly id: string
  readonly layer: PolicyLayer
  readonly effect: PolicyEffect
  readonly rationale: string
  readonly test: (request: PolicyRequest) => boolean
  readonly gate?: boolean
}): CompiledRule => ({
  ordinal: options.ordinal,
  layer: options.layer,
  effect: options.effect,
  entry: Object.freeze({ ruleId: options.id, layer: options.layer, effect: options.effect }),
  reason: `${verb[options.effect]} by ${layerName[options.layer]} rule "${options.id}": ${options.rationale}`,
  gate: options.gate ?? false,
  test: options.test,
  seen: 0
})

type Check = (request: PolicyRequest) => boolean

const subjectChecks = (rule: Rule): Array<Check> => {
  const checks: Array<Check> = []
  const s = rule.subject
  if (s === undefined) return checks
  const kinds = listOf(s.actorKinds)
  if (kinds) {
    const set = new Set<string>(kinds)
    checks.push((r) => set.has(r.subject.actor.kind))
  }
  const actorIds = listOf(s.actorIds)
  if (actorIds) {
    const test = compileAny(actorIds)
    checks.push((r) => test(r.subject.actor.id))
  }
  const roles = listOf(s.roles)
  if (roles) {
    const test = compileAny(roles)
    checks.push((r) => {
      const held = r.subject.actor.roles
      for (let i = 0; i < held.length; i++) if (test(held[i]!)) return true
      return false
    })
  }
  const agents = listOf(s.agentIds)
  if (agents) {
    const test = compileAny(agents)
    checks.push((r) => r.subject.agentId !== undefined && test(r.subject.agentId))
  }
  const instances = listOf(s.customerInstances)
  if (instances) {
    const set = new Set<string>(instances)
    checks.push((r) => set.has(r.subject.customerInstanceId))
  }
  const environments = listOf(s.environments)
  if (environments) {
    const test = compileAny(environments)
    checks.push((r) => test(r.subject.environment))
  }
  const channels = listOf(s.channels)
  if (channels) {
    const test = compileAny(channels)
    checks.push((r) => r.subject.channel !== undefined && test(r.subject.channel))
  }
  return checks
}

const resourceChecks = (rule: Rule): Array<Check> => {
  const checks: Array<Check> = []
  const res = rule.resource
  if (res === undefined) return checks
  const kinds = listOf(res.kinds)
  if (kinds) {
    const set = new Set<string>(kinds)
    checks.push((r) => set.has(r.resource.kind))
  }
  const names = listOf(res.names)
  // A rule the index reaches only through its names (or, without names, its risk classes) has
  // that part proven by the lookup; testing it again would only cost time.
  if (names && !namesIndexed(rule)) {
    const groups = new Set(names.filter((n) => n.startsWith("group:")))
    const plain = names.filter((n) => !n.startsWith("group:"))
    const test = plain.length > 0 ? compileAny(plain) : undefined
    checks.push((r) => {
      if (test?.(r.resource.name)) return true
      if (groups.size === 0 || r.resource.kind !== "tool") return false
      const held = r.resource.groups
      if (held === undefined) return false
      for (let i = 0; i < held.length; i++) if (groups.has(held[i]!)) return true
      return false
    })
  }
  const risks = listOf(res.riskClasses)
  if (risks && names !== undefined) {
    const set = new Set<string>(risks)
    checks.push((r) => r.resource.riskClass !== undefined && set.has(r.resource.riskClass))
  }
  return checks
}

const contextChecks = (rule: Rule): Array<Check> => {
  const checks: Array<Check> = []
  const wanted = rule.context?.sandboxed
  if (wanted !== undefined) checks.push((r) => (r.context?.sandboxed === true) === wanted)
  for (const condition of rule.when ?? []) {
    const test = compileValueTest(condition)
    if (condition.fact !== undefined) {
      const key = condition.fact
      // Facts are a decoded record without prototype keys; inherited members are functions,
      // which no scalar test accepts.
      checks.push((r) => {
        const facts = r.context?.facts
        return facts !== undefined && test(facts[key])
      })
    } else {
      const key = condition.attribute!
      checks.push((r) => {
        const attributes = r.resource.attributes
        return attributes !== undefined && test(attributes[key])
      })
    }
  }
  return checks
}

const combine = (checks: ReadonlyArray<Check>): Check => {
  switch (checks.length) {
    case 0:
      return () => true
    case 1:
      return checks[0]!
    case 2: {
      const [a, b] = checks as [Check, Check]
      return (r) => a(r) && b(r)
    }
    case 3: {
      const [a, b, c] = checks as [Check, Check, Check]
      return (r) => a(r) && b(r) && c(r)
    }
    default:
      return (r) => {
        for (let i = 0; i < checks.length; i++) if (!checks[i]!(r)) return false
        return true
      }
  }
}

const compileRule = (located: LocatedRule, ordinal: number): CompiledRule => {
  const { rule } = located
  const checks: Array<Check> = []
  const actions = listOf(rule.actions)
  // Rules naming exact actions are reachable only through those actions' buckets; a glob needs
  // its own test because such rules also sit in the fallback bucket.
  if (actions?.some(isGlob)) {
    const test = compileAny(actions)
    checks.push((r) => test(r.action))
  }
  checks.push(...subjectChecks(rule), ...resourceChecks(rule), ...contextChecks(rule))
  return makeRule({
    ordinal,
    id: rule.id,
    layer: located.layer,
    effect: rule.effect,
    rationale: rule.rationale,
    test: combine(checks)
  })
}

const emptyBucket = (): Bucket => ({
  byName: new Map(),
  byGroup: new Map(),
  byRisk: new Map(),
  prefixes: emptyTrie(),
  suffixes: emptyTrie(),
  rest: []
})

/** How the index holds a name pattern; "rest" ones are tested one by one. */
const nameKey = (name: string): "group" | "exact" | "prefix" | "suffix" | "rest" => {
  if (name.startsWith("group:")) return "group"
  if (!isGlob(name)) return "exact"
  if (name.includes("?") || name.indexOf("*") !== name.lastIndexOf("*")) return "rest"
  if (name.endsWith("*")) return "prefix"
  if (name.startsWith("*")) return "suffix"
  return "rest"
}

/**
 * True when reaching a rule through the index proves its resource names match: every pattern
 * is an exact name, a group (looked up for tools only), a prefix or a suffix glob.
 */
const namesIndexed = (rule: Rule): boolean => {
  const names = listOf(rule.resource?.names)
  return names !== undefined && names.every((n) => nameKey(n) !== "rest")
}

const push = (map: Map<string, Array<CompiledRule>>, key: string, rule: CompiledRule) => {
  const list = map.get(key)
  if (list) list.push(rule)
  else map.set(key, [rule])
}

const addToBucket = (bucket: Bucket, rule: Rule, compiled: CompiledRule) => {
  const names = listOf(rule.resource?.names)
  if (names !== undefined) {
    if (!namesIndexed(rule)) {
      bucket.rest.push(compiled)
      return
    }
    for (const name of names) {
      const key = nameKey(name)
      if (key === "group") push(bucket.byGroup, name, compiled)
      else if (key === "exact") push(bucket.byName, name, compiled)
      else if (key === "prefix") insert(bucket.prefixes, name.slice(0, -1), compiled, false)
      else insert(bucket.suffixes, name.slice(1), compiled, true)
    }
    return
  }
  const risks = listOf(rule.resource?.riskClasses)
  if (risks !== undefined) {
    for (const risk of risks) push(bucket.byRisk, risk, compiled)
    return
  }
  bucket.rest.push(compiled)
}

const buildIndex = (entries: ReadonlyArray<{ rule: Rule; compiled: CompiledRule }>): LayerIndex => {
  const exactActions = new Set<string>(Object.values(PolicyActions))
  for (const { rule } of entries)
    for (const a of listOf(rule.actions) ?? []) if (!isGlob(a)) exactActions.add(a)
  const byAction = new Map<string, Bucket>()
  for (const action of exactActions) byAction.set(action, emptyBucket())
  const fallback = emptyBucket()
  for (const { rule, compiled } of entries) {
    const actions = listOf(rule.actions)
    if (actions === undefined) {
      for (const bucket of byAction.values()) addToBucket(bucket, rule, compiled)
      addToBucket(fallback, rule, compiled)
      continue
    }
    const globs = actions.filter(isGlob)
    const globTest = globs.length > 0 ? compileAny(globs) : undefined
    for (const [action, bucket] of byAction) {
      if (actions.includes(action) || globTest?.(action)) addToBucket(bucket, rule, compiled)
    }
    if (globTest) addToBucket(fallback, rule, compiled)
  }
  // Drop buckets nobody can hit, so lookups of unmentioned actions land on the fallback.
  for (const [action, bucket] of byAction) {
    const size = bucket.byName.size + bucket.byGroup.size + bucket.byRisk.size + bucket.rest.length
    if (size === 0 && isEmpty(bucket.prefixes) && isEmpty(bucket.suffixes))
      byAction.set(action, fallback)
  }
  return { byAction, fallback }
}

const riskyOutsideSandbox = (r: PolicyRequest) =>
  r.action === "tool.invoke" &&
  r.resource.kind === "tool" &&
  isRiskyClass(r.resource.riskClass) &&
  r.context?.sandboxed !== true

const riskyTool = (r: PolicyRequest) =>
  r.action === "tool.invoke" && r.resource.kind === "tool" && isRiskyClass(r.resource.riskClass)

const platformRules = (baseline: Baseline): { rules: Array<CompiledRule>; gate: CompiledRule } => {
  const risky = "risky tools (exec, browser, filesystem_write, external_send)"
  const rules =
    baseline.riskyExecution === "deny"
      ? [
          makeRule({
            ordinal: 0,
            id: "platform.risky-tools-denied",
            layer: "platform",
            effect: "deny",
            rationale: `tools.riskyExecution is "deny": ${risky} never run`,
            test: riskyTool
          })
        ]
      : [
          makeRule({
            ordinal: 0,
            id: "platform.risky-tools-sandbox-only",
            layer: "platform",
            effect: "deny",
            rationale: `tools.riskyExecution is "sandbox_only": ${risky} run only in sandbox lanes`,
            test: riskyOutsideSandbox
          })
        ]
  const byInstance = baseline.riskyRequireApprovalByInstance
  const fallback = baseline.riskyRequireApproval
  const gate = makeRule({
    ordinal: 1,
    id: "platform.risky-tools-require-approval",
    layer: "platform",
    effect: "require_approval",
    rationale: `tools.riskyRequireApproval is on for this customer instance: ${risky} need a human approval`,
    gate: true,
    test: (r) => riskyTool(r) && (byInstance.get(r.subject.customerInstanceId) ?? fallback)
  })
  return { rules, gate }
}

/**
 * Compiles a validated document and the platform baseline into the index the evaluator reads.
 * Rules get their ordinal from the total order (layer, then id), never from their position in
 * the file, so reordering a file changes nothing.
 */
export const compileDocument = (
  document: PolicyDocument,
  baseline: Baseline,
  policyHash: string
): CompiledPolicy => {
  const located = locateRules(document).sort(
    (a, b) =>
      layerRank[a.layer] - layerRank[b.layer] || (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0)
  )
  const platform = platformRules(baseline)
  const compiled = located.map((l, i) => ({ located: l, rule: l.rule, compiled: compileRule(l, i + 2) }))
  const grouped = (layer: LocatedRule["layer"]) => {
    const byKey = new Map<string, Array<{ rule: Rule; compiled: CompiledRule }>>()
    for (const c of compiled) {
      if (c.located.layer !== layer) continue
      const key = c.located.key ?? ""
      const list = byKey.get(key)
      if (list) list.push(c)
      else byKey.set(key, [c])
    }
    return new Map([...byKey].map(([key, entries]) => [key, buildIndex(entries)]))
  }
  return {
    platform: platform.rules,
    gate: platform.gate,
    baseline,
    deployment: buildIndex(compiled.filter((c) => c.located.layer === "deployment")),
    instances: grouped("customer_instance"),
    agents: grouped("agent_profile"),
    groups: new Set([...toolGroups, ...(document.groups ?? [])]),
    ruleCount: compiled.length,
    policyHash
  }
}
