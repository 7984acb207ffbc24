import type { BgaConfig } from "../../config/schema.js"
import type { MatchedRule, PolicyEffect, PolicyLayer } from "../../contracts/PolicyDecisionTrace.js"
import type { PolicyDocument, Rule } from "../document.js"
import type { PolicyRequest } from "../request.js"
import { isRiskyClass, PolicyActions, toolGroups } from "../taxonomy.js"
import { type AffixIndex, emptyAffixIndex, insertAffix } from "./affix.js"
import { type Candidates, type MemoBudget, makeMemoBudget } from "./candidates.js"
import { compileAny, isGlob } from "./glob.js"
import { compileMatcher, type Matcher } from "./matcher.js"
import { type LocatedRule, listOf, locateRules } from "./validate.js"

/** A rule ready for the hot path: its remaining constraints and its trace entry, made once. */
export interface CompiledRule {
  /** Position in the total order (layer, then id): decides ties and orders the trace. */
  readonly ordinal: number
  readonly layer: PolicyLayer
  readonly effect: PolicyEffect
  /** The trace entry, shared by every trace that lists this rule. */
  readonly entry: MatchedRule
  /** The rule's rationale, prefixed with what it did and where it comes from. */
  readonly reason: string
  /** `reason` for a deny that overrode rules granting the same request. */
  readonly reasonOverriding: string
  /** A platform gate turns allows into approvals; it never grants on its own. */
  readonly gate: boolean
  /** The constraints of a document rule the index does not prove. */
  readonly matcher: Matcher | undefined
  /**
   * True when a document rule asks nothing of the subject, the context or the arguments: being
   * in the candidate list for the request's resource is all it takes to match.
   */
  readonly free: boolean
  /** The test of a rule written in code (platform, run). */
  readonly test: ((request: PolicyRequest) => boolean) | undefined
  /** The approval gate's rationale when this allow is turned into an approval; made on first use. */
  gatedReason: string | undefined
  /** Collection stamp: a rule reachable through several index keys is listed once. */
  seen: number
}

/** Rules for one action, indexed by what they say about the resource; empty parts are absent. */
export interface Bucket {
  readonly byName: Map<string, Array<CompiledRule>> | undefined
  readonly byGroup: Map<string, Array<CompiledRule>> | undefined
  readonly byRisk: Map<string, Array<CompiledRule>> | undefined
  /** Rules with `prefix*` name globs, by prefix. */
  readonly prefixes: AffixIndex<CompiledRule> | undefined
  /** Rules with `*suffix` name globs, by suffix (`*.example.com`). */
  readonly suffixes: AffixIndex<CompiledRule> | undefined
  /** Rules with other globs or no resource constraint: candidates for every resource. */
  readonly rest: Array<CompiledRule> | undefined
  /** Candidate lists already made, by resource name (`candidates.ts`). */
  readonly memo: Map<string, Candidates>
  /** The policy-wide bound on what the memos of all buckets hold. */
  readonly budget: MemoBudget
  /** Tells this bucket's sightings of a name from other buckets' (`candidates.ts`). */
  readonly salt: number
}

/** The rules of one layer (or one customer instance, or one agent profile), by action. */
export interface LayerIndex {
  /** Only actions with rules; others fall back. */
  readonly byAction: Map<string, Bucket>
  /** Rules whose actions are globs or absent, for actions no rule names exactly. */
  readonly fallback: Bucket | undefined
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

/**
 * A compiled policy, shared by every evaluation. Its rules and index do not change after
 * compilation; only the buckets' memos of candidate lists fill (and empty) as requests come.
 */
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
  readonly test?: (request: PolicyRequest) => boolean
  readonly matcher?: Matcher
  readonly gate?: boolean
}): CompiledRule => ({
  ordinal: options.ordinal,
  layer: options.layer,
  effect: options.effect,
  entry: Object.freeze({ ruleId: options.id, layer: options.layer, effect: options.effect }),
  reason: `${verb[options.effect]} by ${layerName[options.layer]} rule "${options.id}": ${options.rationale}`,
  reasonOverriding: `${verb[options.effect]} by ${layerName[options.layer]} rule "${options.id}": ${options.rationale} (overrides the rules that grant it)`,
  gatedReason: undefined,
  gate: options.gate ?? false,
  matcher: options.matcher,
  free: options.matcher !== undefined && !options.matcher.asksRequest,
  test: options.test,
  seen: 0
})

const compileRule = (located: LocatedRule, ordinal: number): CompiledRule => {
  const { rule } = located
  const actions = listOf(rule.actions)
  const names = listOf(rule.resource?.names)
  // Rules naming only exact actions are reachable only through those actions' buckets; names
  // and, without names, risk classes are proven by the lookup that reaches the rule.
  const matcher = compileMatcher(rule, listOf, {
    actions: actions === undefined || !actions.some(isGlob),
    names: namesIndexed(rule),
    riskClasses: names === undefined
  })
  return makeRule({
    ordinal,
    id: rule.id,
    layer: located.layer,
    effect: rule.effect,
    rationale: rule.rationale,
    matcher
  })
}

interface BucketBuilder {
  readonly byName: Map<string, Array<CompiledRule>>
  readonly byGroup: Map<string, Array<CompiledRule>>
  readonly byRisk: Map<string, Array<CompiledRule>>
  readonly prefixes: AffixIndex<CompiledRule>
  readonly suffixes: AffixIndex<CompiledRule>
  readonly rest: Array<CompiledRule>
}

let buckets = 0

// Empty parts become undefined so that collecting candidates skips them with one comparison.
const finish = (b: BucketBuilder, budget: MemoBudget): Bucket | undefined => {
  const parts = {
    byName: b.byName.size > 0 ? b.byName : undefined,
    byGroup: b.byGroup.size > 0 ? b.byGroup : undefined,
    byRisk: b.byRisk.size > 0 ? b.byRisk : undefined,
    prefixes: b.prefixes.groups.length > 0 ? b.prefixes : undefined,
    suffixes: b.suffixes.groups.length > 0 ? b.suffixes : undefined,
    rest: b.rest.length > 0 ? b.rest : undefined
  }
  return Object.values(parts).some((part) => part !== undefined)
    ? { ...parts, memo: new Map(), budget, salt: Math.imul(++buckets, 0x9e3779b9) }
    : undefined
}

const emptyBucket = (): BucketBuilder => ({
  byName: new Map(),
  byGroup: new Map(),
  byRisk: new Map(),
  prefixes: emptyAffixIndex(false),
  suffixes: emptyAffixIndex(true),
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
  return names?.every((n) => nameKey(n) !== "rest") === true
}

const push = (map: Map<string, Array<CompiledRule>>, key: string, rule: CompiledRule) => {
  const list = map.get(key)
  if (list) list.push(rule)
  else map.set(key, [rule])
}

const addToBucket = (bucket: BucketBuilder, rule: Rule, compiled: CompiledRule) => {
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
      else if (key === "prefix") insertAffix(bucket.prefixes, name.slice(0, -1), compiled)
      else insertAffix(bucket.suffixes, name.slice(1), compiled)
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

const buildIndex = (
  entries: ReadonlyArray<{ rule: Rule; compiled: CompiledRule }>,
  budget: MemoBudget
): LayerIndex => {
  const exactActions = new Set<string>(Object.values(PolicyActions))
  for (const { rule } of entries)
    for (const a of listOf(rule.actions) ?? []) if (!isGlob(a)) exactActions.add(a)
  const builders = new Map<string, BucketBuilder>()
  for (const action of exactActions) builders.set(action, emptyBucket())
  const fallback = emptyBucket()
  for (const { rule, compiled } of entries) {
    const actions = listOf(rule.actions)
    if (actions === undefined) {
      for (const bucket of builders.values()) addToBucket(bucket, rule, compiled)
      addToBucket(fallback, rule, compiled)
      continue
    }
    const globs = actions.filter(isGlob)
    const globTest = globs.length > 0 ? compileAny(globs) : undefined
    for (const [action, bucket] of builders) {
      if (actions.includes(action) || globTest?.(action)) addToBucket(bucket, rule, compiled)
    }
    if (globTest) addToBucket(fallback, rule, compiled)
  }
  // Buckets without rules are left out: lookups of those actions land on the fallback, which
  // holds the same rules (globs and any-action rules) when it is not empty itself.
  const byAction = new Map<string, Bucket>()
  for (const [action, builder] of builders) {
    const bucket = finish(builder, budget)
    if (bucket !== undefined) byAction.set(action, bucket)
  }
  return { byAction, fallback: finish(fallback, budget) }
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
  policyHash: string,
  budget: MemoBudget = makeMemoBudget()
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
    return new Map([...byKey].map(([key, entries]) => [key, buildIndex(entries, budget)]))
  }
  return {
    platform: platform.rules,
    gate: platform.gate,
    baseline,
    deployment: buildIndex(
      compiled.filter((c) => c.located.layer === "deployment"),
      budget
    ),
    instances: grouped("customer_instance"),
    agents: grouped("agent_profile"),
    groups: new Set([...toolGroups, ...(document.groups ?? [])]),
    ruleCount: compiled.length,
    policyHash
  }
}
