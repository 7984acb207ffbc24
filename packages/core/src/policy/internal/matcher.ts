import type { Condition, Rule } from "../document.js"
import type { PolicyRequest } from "../request.js"
import { compileValueTest, type ValueTest } from "./conditions.js"
import { compileGlob, isGlob, type StringTest } from "./glob.js"

// A rule's constraints as plain data, tested by one monomorphic function. A closure per check
// made every rule a different call target for the engine; data keeps the hot loop predictable.

/** A list of exact values and globs, any of which may match. */
export interface StringMatcher {
  /** The only value, when the list is one exact value (the common case). */
  readonly single: string | undefined
  readonly exact: ReadonlySet<string> | undefined
  readonly globs: ReadonlyArray<StringTest> | undefined
}

/** Compiles a pattern list; undefined when the rule does not constrain this field. */
export const stringMatcher = (patterns: ReadonlyArray<string> | undefined): StringMatcher | undefined => {
  if (patterns === undefined) return undefined
  const exact = patterns.filter((p) => !isGlob(p))
  const globs = patterns.filter(isGlob).map(compileGlob)
  const single = exact.length === 1 && globs.length === 0 ? exact[0] : undefined
  return {
    single,
    exact: single === undefined && exact.length > 0 ? new Set(exact) : undefined,
    globs: globs.length > 0 ? globs : undefined
  }
}

/** True when `value` matches the list. */
export const matchString = (m: StringMatcher, value: string): boolean => {
  if (m.single !== undefined) return value === m.single
  if (m.exact?.has(value)) return true
  const globs = m.globs
  if (globs === undefined) return false
  for (let i = 0; i < globs.length; i++) if (globs[i]!(value)) return true
  return false
}

/** One compiled condition: where its value comes from and how it is tested. */
export interface CompiledCondition {
  readonly fact: string | undefined
  readonly attribute: string | undefined
  readonly test: ValueTest
}

// Which constraints a matcher holds, in the order they are tested (cheap and selective first).
const Check = {
  action: 0,
  kinds: 1,
  names: 2,
  riskClasses: 3,
  customerInstances: 4,
  actorKinds: 5,
  actorIds: 6,
  roles: 7,
  agentIds: 8,
  environments: 9,
  channels: 10,
  sandboxed: 11,
  conditions: 12
} as const

/** Every constraint of a rule that its place in the index does not already prove. */
export interface Matcher {
  /** The constraints present, as `Check` codes: a rule is tested only for what it says. */
  readonly checks: ReadonlyArray<number>
  readonly action: StringMatcher | undefined
  readonly actorKinds: ReadonlySet<string> | undefined
  readonly actorIds: StringMatcher | undefined
  readonly roles: StringMatcher | undefined
  readonly agentIds: StringMatcher | undefined
  readonly customerInstances: ReadonlySet<string> | undefined
  readonly environments: StringMatcher | undefined
  readonly channels: StringMatcher | undefined
  readonly kinds: ReadonlySet<string> | undefined
  /** Resource names (tested only when the index does not prove them). */
  readonly names: StringMatcher | undefined
  readonly groups: ReadonlySet<string> | undefined
  readonly riskClasses: ReadonlySet<string> | undefined
  readonly sandboxed: boolean | undefined
  readonly conditions: ReadonlyArray<CompiledCondition> | undefined
}

const setOf = (values: ReadonlyArray<string> | undefined) =>
  values === undefined ? undefined : new Set(values)

const condition = (c: Condition): CompiledCondition => ({
  fact: c.fact,
  attribute: c.fact === undefined ? c.attribute : undefined,
  test: compileValueTest(c)
})

/**
 * Compiles a rule's constraints. `proven` says what the index lookup already establishes:
 * exact actions, the resource names, or (for rules without names) the risk classes.
 */
export const compileMatcher = (
  rule: Rule,
  list: <A>(value: A | ReadonlyArray<A> | undefined) => ReadonlyArray<A> | undefined,
  proven: { readonly actions: boolean; readonly names: boolean; readonly riskClasses: boolean }
): Matcher => {
  const names = proven.names ? undefined : list(rule.resource?.names)
  const when = rule.when ?? []
  const fields = {
    action: proven.actions ? undefined : stringMatcher(list(rule.actions)),
    actorKinds: setOf(list(rule.subject?.actorKinds)),
    actorIds: stringMatcher(list(rule.subject?.actorIds)),
    roles: stringMatcher(list(rule.subject?.roles)),
    agentIds: stringMatcher(list(rule.subject?.agentIds)),
    customerInstances: setOf(list(rule.subject?.customerInstances)),
    environments: stringMatcher(list(rule.subject?.environments)),
    channels: stringMatcher(list(rule.subject?.channels)),
    kinds: setOf(list(rule.resource?.kinds)),
    names: names === undefined ? undefined : stringMatcher(names.filter((n) => !n.startsWith("group:"))),
    groups: names === undefined ? undefined : new Set(names.filter((n) => n.startsWith("group:"))),
    riskClasses: proven.riskClasses ? undefined : setOf(list(rule.resource?.riskClasses)),
    sandboxed: rule.context?.sandboxed,
    conditions: when.length === 0 ? undefined : when.map(condition)
  }
  const present: Array<number> = []
  if (fields.action !== undefined) present.push(Check.action)
  if (fields.kinds !== undefined) present.push(Check.kinds)
  if (fields.groups !== undefined) present.push(Check.names)
  if (fields.riskClasses !== undefined) present.push(Check.riskClasses)
  if (fields.customerInstances !== undefined) present.push(Check.customerInstances)
  if (fields.actorKinds !== undefined) present.push(Check.actorKinds)
  if (fields.actorIds !== undefined) present.push(Check.actorIds)
  if (fields.roles !== undefined) present.push(Check.roles)
  if (fields.agentIds !== undefined) present.push(Check.agentIds)
  if (fields.environments !== undefined) present.push(Check.environments)
  if (fields.channels !== undefined) present.push(Check.channels)
  if (fields.sandboxed !== undefined) present.push(Check.sandboxed)
  if (fields.conditions !== undefined) present.push(Check.conditions)
  return { checks: present, ...fields }
}

const namesMatch = (m: Matcher, request: PolicyRequest): boolean => {
  const resource = request.resource
  if (m.names !== undefined && matchString(m.names, resource.name)) return true
  const groups = m.groups
  const held = resource.groups
  if (groups === undefined || groups.size === 0 || held === undefined || resource.kind !== "tool")
    return false
  for (let i = 0; i < held.length; i++) if (groups.has(held[i]!)) return true
  return false
}

const rolesMatch = (m: StringMatcher, held: ReadonlyArray<string>): boolean => {
  for (let i = 0; i < held.length; i++) if (matchString(m, held[i]!)) return true
  return false
}

const conditionsHold = (conditions: ReadonlyArray<CompiledCondition>, request: PolicyRequest): boolean => {
  const facts = request.context?.facts
  const attributes = request.resource.attributes
  for (let i = 0; i < conditions.length; i++) {
    const c = conditions[i]!
    // Facts and attributes are decoded records without prototype keys; an inherited member
    // would be a function, which no scalar test accepts.
    const source = c.fact !== undefined ? facts : attributes
    if (source === undefined || !c.test(source[c.fact ?? c.attribute!])) return false
  }
  return true
}

const holds = (m: Matcher, check: number, request: PolicyRequest): boolean => {
  const subject = request.subject
  const resource = request.resource
  switch (check) {
    case Check.action:
      return matchString(m.action!, request.action)
    case Check.kinds:
      return m.kinds!.has(resource.kind)
    case Check.names:
      return namesMatch(m, request)
    case Check.riskClasses:
      return resource.riskClass !== undefined && m.riskClasses!.has(resource.riskClass)
    case Check.customerInstances:
      return m.customerInstances!.has(subject.customerInstanceId)
    case Check.actorKinds:
      return m.actorKinds!.has(subject.actor.kind)
    case Check.actorIds:
      return matchString(m.actorIds!, subject.actor.id)
    case Check.roles:
      return rolesMatch(m.roles!, subject.actor.roles)
    case Check.agentIds:
      return subject.agentId !== undefined && matchString(m.agentIds!, subject.agentId)
    case Check.environments:
      return matchString(m.environments!, subject.environment)
    case Check.channels:
      return subject.channel !== undefined && matchString(m.channels!, subject.channel)
    case Check.sandboxed:
      return (request.context?.sandboxed === true) === m.sandboxed
    default:
      return conditionsHold(m.conditions!, request)
  }
}

/** True when the request meets every constraint of the matcher. */
export const matches = (m: Matcher, request: PolicyRequest): boolean => {
  const checks = m.checks
  for (let i = 0; i < checks.length; i++) if (!holds(m, checks[i]!, request)) return false
  return true
}
