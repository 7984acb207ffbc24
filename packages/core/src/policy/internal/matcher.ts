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

/**
 * Every constraint of a rule that its place in the index does not already prove; absent fields
 * constrain nothing. Tested in two steps: what the action and the resource's kind, name, groups
 * and risk class decide, once per candidate list (`candidates.ts`), then what depends on the
 * subject, the context and the arguments, at every request.
 */
export interface Matcher {
  /** True when some constraint depends on the subject, the context or the arguments. */
  readonly asksRequest: boolean
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
  const asksRequest =
    fields.customerInstances !== undefined ||
    fields.actorKinds !== undefined ||
    fields.actorIds !== undefined ||
    fields.roles !== undefined ||
    fields.agentIds !== undefined ||
    fields.environments !== undefined ||
    fields.channels !== undefined ||
    fields.sandboxed !== undefined ||
    fields.conditions !== undefined
  return { asksRequest, ...fields }
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

// Plain field tests in a fixed order (cheap and selective first): one monomorphic function,
// no closure per constraint, so the engine sees one predictable call site.

/** True when the request's action and resource meet the matcher (what candidate lists fix). */
export const matchesResource = (m: Matcher, request: PolicyRequest): boolean => {
  const resource = request.resource
  if (m.action !== undefined && !matchString(m.action, request.action)) return false
  if (m.kinds !== undefined && !m.kinds.has(resource.kind)) return false
  if (m.groups !== undefined && !namesMatch(m, request)) return false
  if (
    m.riskClasses !== undefined &&
    (resource.riskClass === undefined || !m.riskClasses.has(resource.riskClass))
  )
    return false
  return true
}

/** True when the request's subject, context and arguments meet the matcher. */
export const matchesRequest = (m: Matcher, request: PolicyRequest): boolean => {
  const subject = request.subject
  if (m.customerInstances !== undefined && !m.customerInstances.has(subject.customerInstanceId)) return false
  if (m.actorKinds !== undefined && !m.actorKinds.has(subject.actor.kind)) return false
  if (m.actorIds !== undefined && !matchString(m.actorIds, subject.actor.id)) return false
  if (m.roles !== undefined && !rolesMatch(m.roles, subject.actor.roles)) return false
  if (
    m.agentIds !== undefined &&
    (subject.agentId === undefined || !matchString(m.agentIds, subject.agentId))
  )
    return false
  if (m.environments !== undefined && !matchString(m.environments, subject.environment)) return false
  if (
    m.channels !== undefined &&
    (subject.channel === undefined || !matchString(m.channels, subject.channel))
  )
    return false
  if (m.sandboxed !== undefined && (request.context?.sandboxed === true) !== m.sandboxed) return false
  if (m.conditions !== undefined && !conditionsHold(m.conditions, request)) return false
  return true
}
