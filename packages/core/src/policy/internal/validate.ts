import type { Condition, PolicyDocument, Rule } from "../document.js"
import type { PolicyProblem } from "../errors.js"
import { actionResourceKind, type PolicyAction, toolGroups } from "../taxonomy.js"
import { parseCidr } from "./conditions.js"
import { compileAny, isGlob } from "./glob.js"

/** Most rules one document may hold; the decision trace lists at most 1,000 matches. */
export const maxRules = 10_000

/** A rule with where it was written and the layer (and key) it belongs to. */
export interface LocatedRule {
  readonly rule: Rule
  readonly path: string
  readonly layer: "deployment" | "customer_instance" | "agent_profile"
  /** The customer instance id or agent id the rule's layer is keyed by. */
  readonly key?: string
}

const keyPath = (key: string): string =>
  /^[A-Za-z_$][A-Za-z0-9_$]*$/u.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`

/** Every rule of a document, in document order, with its path. */
export const locateRules = (document: PolicyDocument): Array<LocatedRule> => {
  const out: Array<LocatedRule> = []
  document.deployment?.rules.forEach((rule, i) => {
    out.push({ rule, path: `$.deployment.rules[${i}]`, layer: "deployment" })
  })
  for (const [key, list] of Object.entries(document.customerInstances ?? {})) {
    list.rules.forEach((rule, i) => {
      out.push({
        rule,
        path: `$.customerInstances${keyPath(key)}.rules[${i}]`,
        layer: "customer_instance",
        key
      })
    })
  }
  for (const [key, list] of Object.entries(document.agentProfiles ?? {})) {
    list.rules.forEach((rule, i) => {
      out.push({ rule, path: `$.agentProfiles${keyPath(key)}.rules[${i}]`, layer: "agent_profile", key })
    })
  }
  return out
}

/** A matcher field as a list (single values are written without brackets). */
export const listOf = <A>(value: A | ReadonlyArray<A> | undefined): ReadonlyArray<A> | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? (value as ReadonlyArray<A>) : [value as A]

const isScalar = (v: unknown) => v === null || ["string", "number", "boolean"].includes(typeof v)

const conditionProblems = (condition: Condition, path: string): Array<PolicyProblem> => {
  const problems: Array<PolicyProblem> = []
  const bad = (message: string, kind: PolicyProblem["kind"] = "bad-condition", at = path) =>
    problems.push({ path: at, kind, message })
  const sources = (condition.fact !== undefined ? 1 : 0) + (condition.attribute !== undefined ? 1 : 0)
  if (sources !== 1) bad('a condition tests exactly one of "fact" or "attribute"')
  const { op, value } = condition
  const values = Array.isArray(value) ? (value as ReadonlyArray<unknown>) : [value]
  switch (op) {
    case "equals":
      if (!isScalar(value))
        bad('"equals" compares with one scalar; use "in" for a list', "bad-condition", `${path}.value`)
      break
    case "in":
      if (!Array.isArray(value)) bad('"in" takes a list of values', "bad-condition", `${path}.value`)
      else if (values.length === 0)
        bad("an empty list: this condition can never hold", "never-matches", `${path}.value`)
      break
    case "glob":
    case "domainSuffix":
      if (values.length === 0)
        bad("an empty list: this condition can never hold", "never-matches", `${path}.value`)
      values.forEach((v, i) => {
        if (typeof v !== "string" || v.length === 0)
          bad(
            `"${op}" needs non-empty strings`,
            "bad-condition",
            Array.isArray(value) ? `${path}.value[${i}]` : `${path}.value`
          )
      })
      break
    case "cidr":
      if (values.length === 0)
        bad("an empty list: this condition can never hold", "never-matches", `${path}.value`)
      values.forEach((v, i) => {
        const at = Array.isArray(value) ? `${path}.value[${i}]` : `${path}.value`
        if (typeof v !== "string" || parseCidr(v) === undefined)
          bad(`${JSON.stringify(v)} is not a CIDR block such as 10.0.0.0/8 or fd00::/8`, "bad-cidr", at)
      })
      break
    default:
      if (typeof value !== "number") bad(`"${op}" compares with one number`, "bad-condition", `${path}.value`)
  }
  return problems
}

/** Conditions on one fact whose bounds or required values contradict each other. */
const contradictions = (conditions: ReadonlyArray<Condition>, path: string): Array<PolicyProblem> => {
  const bySource = new Map<string, Array<Condition>>()
  for (const c of conditions) {
    const key = c.fact !== undefined ? `fact ${c.fact}` : `attribute ${c.attribute}`
    bySource.set(key, [...(bySource.get(key) ?? []), c])
  }
  const problems: Array<PolicyProblem> = []
  for (const [source, list] of bySource) {
    let low = Number.NEGATIVE_INFINITY
    let lowStrict = false
    let high = Number.POSITIVE_INFINITY
    let highStrict = false
    const required = new Set<unknown>()
    for (const c of list) {
      if (typeof c.value !== "number") {
        if (c.op === "equals") required.add(c.value)
        continue
      }
      if (c.op === "equals") required.add(c.value)
      if ((c.op === "gt" || c.op === "gte") && (c.value > low || (c.value === low && c.op === "gt"))) {
        low = c.value
        lowStrict = c.op === "gt"
      }
      if ((c.op === "lt" || c.op === "lte") && (c.value < high || (c.value === high && c.op === "lt"))) {
        high = c.value
        highStrict = c.op === "lt"
      }
    }
    const emptyRange = low > high || (low === high && (lowStrict || highStrict))
    const requiredOutside = [...required].some(
      (v) =>
        typeof v === "number" &&
        (v < low || v > high || (v === low && lowStrict) || (v === high && highStrict))
    )
    if (required.size > 1 || emptyRange || requiredOutside) {
      problems.push({
        path: `${path}.when`,
        kind: "never-matches",
        message: `the conditions on ${source} contradict each other: this rule can never match`
      })
    }
  }
  return problems
}

const ruleProblems = (located: LocatedRule, groups: ReadonlySet<string>): Array<PolicyProblem> => {
  const { rule, path } = located
  const problems: Array<PolicyProblem> = []
  const never = (at: string, message: string) => problems.push({ path: at, kind: "never-matches", message })
  const lists: Array<[string, ReadonlyArray<unknown> | undefined]> = [
    ["actions", listOf(rule.actions)],
    ["subject.actorKinds", listOf(rule.subject?.actorKinds)],
    ["subject.actorIds", listOf(rule.subject?.actorIds)],
    ["subject.roles", listOf(rule.subject?.roles)],
    ["subject.agentIds", listOf(rule.subject?.agentIds)],
    ["subject.customerInstances", listOf(rule.subject?.customerInstances)],
    ["subject.environments", listOf(rule.subject?.environments)],
    ["subject.channels", listOf(rule.subject?.channels)],
    ["resource.kinds", listOf(rule.resource?.kinds)],
    ["resource.names", listOf(rule.resource?.names)],
    ["resource.riskClasses", listOf(rule.resource?.riskClasses)]
  ]
  for (const [field, list] of lists) {
    if (list !== undefined && list.length === 0)
      never(`${path}.${field}`, "an empty list matches nothing: this rule can never match")
  }

  const actionList = listOf(rule.actions)
  const actionsIsList = Array.isArray(rule.actions)
  actionList?.forEach((action, i) => {
    // Requests carry dotted lowercase names (`tool.invoke`); anything else is a typo.
    if (!isGlob(action) && !/^[a-z][a-z0-9_]{0,30}(?:\.[a-z][a-z0-9_]{0,30}){1,3}$/u.test(action))
      never(
        actionsIsList ? `${path}.actions[${i}]` : `${path}.actions`,
        `${JSON.stringify(action)} is not an action name (such as tool.invoke): no request carries it`
      )
  })

  const kinds = listOf(rule.resource?.kinds)
  const names = listOf(rule.resource?.names)
  const namesIsList = Array.isArray(rule.resource?.names)
  names?.forEach((name, i) => {
    if (!name.startsWith("group:")) return
    const at = namesIsList ? `${path}.resource.names[${i}]` : `${path}.resource.names`
    if (isGlob(name)) never(at, `${name}: a group is named exactly; globs over group names match nothing`)
    else if (!groups.has(name))
      problems.push({
        path: at,
        kind: "unknown-group",
        message: `unknown tool group ${name} (known: ${[...groups].sort().join(", ")}; declare new ones in "groups")`
      })
    else if (kinds !== undefined && !kinds.includes("tool"))
      never(at, `${name}: groups hold tools, but this rule matches only ${kinds.join(", ")} resources`)
  })

  const actions = listOf(rule.actions)
  if (actions !== undefined && kinds !== undefined && actions.length > 0 && kinds.length > 0) {
    const possible = actions.some((a) => {
      const known = actionResourceKind[a as PolicyAction] as string | undefined
      return isGlob(a) || known === undefined || kinds.includes(known as never)
    })
    if (!possible)
      never(
        `${path}.resource.kinds`,
        `the actions ${actions.join(", ")} never act on ${kinds.join(", ")} resources: this rule can never match`
      )
  }

  if (located.layer === "customer_instance") {
    const instances = listOf(rule.subject?.customerInstances)
    if (instances !== undefined && instances.length > 0 && !instances.includes(located.key!))
      never(
        `${path}.subject.customerInstances`,
        `this rule belongs to customer instance ${located.key} but matches only ${instances.join(", ")}: it can never match`
      )
  }
  if (located.layer === "agent_profile") {
    const agents = listOf(rule.subject?.agentIds)
    if (agents !== undefined && agents.length > 0 && !compileAny(agents)(located.key!))
      never(
        `${path}.subject.agentIds`,
        `this rule belongs to agent profile ${located.key} but matches only agents ${agents.join(", ")}: it can never match`
      )
  }

  const when = rule.when ?? []
  when.forEach((condition, i) => {
    problems.push(...conditionProblems(condition, `${path}.when[${i}]`))
  })
  if (problems.length === 0) problems.push(...contradictions(when, path))
  return problems
}

/**
 * Checks what the schema cannot: unique rule ids, known groups, valid CIDR blocks, well-typed
 * conditions, and rules that could never match (empty lists, contradicting conditions, actions
 * and resource kinds that never meet, a rule keyed to one customer instance or agent that names
 * another). Returns every problem found, each with its path.
 */
export const validateDocument = (document: PolicyDocument): Array<PolicyProblem> => {
  const groups = new Set<string>([...toolGroups, ...(document.groups ?? [])])
  const rules = locateRules(document)
  const problems: Array<PolicyProblem> = []
  if (rules.length > maxRules) {
    problems.push({
      path: "$",
      kind: "too-many-rules",
      message: `${rules.length} rules exceed the limit of ${maxRules} per policy document`
    })
  }
  const firstById = new Map<string, string>()
  for (const located of rules) {
    const first = firstById.get(located.rule.id)
    if (first !== undefined)
      problems.push({
        path: `${located.path}.id`,
        kind: "duplicate-id",
        message: `rule id ${JSON.stringify(located.rule.id)} is already used at ${first}`
      })
    else firstById.set(located.rule.id, located.path)
    problems.push(...ruleProblems(located, groups))
  }
  return problems
}
