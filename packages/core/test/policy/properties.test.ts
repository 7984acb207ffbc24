import { describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import fc from "fast-check"
import { decodeConfig as decodeConfigInput } from "../../src/config/load.js"
import { PolicyDecisionTraceV1 } from "../../src/contracts/PolicyDecisionTrace.js"
import { isId } from "../../src/ids.js"
import * as Policy from "../../src/policy/index.js"

// Invariants of the combining algorithm over random documents and requests drawn from a small
// universe (so that rules and requests meet often).

const tools: Record<string, ReadonlyArray<string>> = {
  "web.search": ["group:web"],
  "web.fetch": ["group:web"],
  "crm.get": ["group:messaging"],
  "crm.put": ["group:fs"],
  "shell.exec": ["group:runtime"],
  "mail.send": ["group:messaging"]
}
const toolNames = Object.keys(tools)
const namePatterns = [
  ...toolNames,
  "crm.*",
  "*.exec",
  "group:web",
  "group:runtime",
  "group:messaging",
  "api.example.com"
]
const actions = ["tool.invoke", "egress.fetch", "run.create"] as const
const actionPatterns = [...actions, "tool.*", "*"]
const roles = ["operator", "approver", "auditor"]
const instances = ["acme", "globex"]
const agents = ["bot-a", "bot-b"]
type Effect = "allow" | "deny" | "require_approval"

interface GenRule {
  readonly effect: Effect
  readonly actions: string | undefined
  readonly names: ReadonlyArray<string> | undefined
  readonly roles: ReadonlyArray<string> | undefined
  readonly sandboxed: boolean | undefined
  readonly amount: { readonly op: "lt" | "lte" | "gt" | "gte"; readonly value: number } | undefined
}

const opt = <A>(arb: fc.Arbitrary<A>) => fc.option(arb, { nil: undefined })
const effectArb = fc.constantFrom<Effect>("allow", "deny", "require_approval")
const ruleArb: fc.Arbitrary<GenRule> = fc.record({
  effect: effectArb,
  actions: opt(fc.constantFrom(...actionPatterns)),
  names: opt(fc.subarray(namePatterns, { minLength: 1, maxLength: 3 })),
  roles: opt(fc.subarray(roles, { minLength: 1, maxLength: 2 })),
  sandboxed: opt(fc.boolean()),
  amount: opt(
    fc.record({ op: fc.constantFrom("lt", "lte", "gt", "gte"), value: fc.integer({ min: 0, max: 10 }) })
  )
})

interface GenDoc {
  readonly deployment: ReadonlyArray<GenRule>
  readonly acme: ReadonlyArray<GenRule>
  readonly globex: ReadonlyArray<GenRule>
  readonly botA: ReadonlyArray<GenRule>
}
const docArb: fc.Arbitrary<GenDoc> = fc.record({
  deployment: fc.array(ruleArb, { maxLength: 8 }),
  acme: fc.array(ruleArb, { maxLength: 4 }),
  globex: fc.array(ruleArb, { maxLength: 4 }),
  botA: fc.array(ruleArb, { maxLength: 4 })
})

const toRule = (prefix: string) => (r: GenRule, i: number) => ({
  id: `${prefix}-${i}`,
  effect: r.effect,
  rationale: `${prefix} rule ${i}`,
  ...(r.actions === undefined ? {} : { actions: r.actions }),
  ...(r.roles === undefined ? {} : { subject: { roles: r.roles } }),
  ...(r.names === undefined ? {} : { resource: { names: r.names } }),
  ...(r.sandboxed === undefined ? {} : { context: { sandboxed: r.sandboxed } }),
  ...(r.amount === undefined ? {} : { when: [{ fact: "amount", ...r.amount }] })
})

const toDocument = (d: GenDoc) => ({
  version: 1 as const,
  deployment: { rules: d.deployment.map(toRule("dep")) },
  customerInstances: {
    acme: { rules: d.acme.map(toRule("acme")) },
    globex: { rules: d.globex.map(toRule("globex")) }
  },
  agentProfiles: { "bot-a": { rules: d.botA.map(toRule("bot")) } }
})

const requestArb: fc.Arbitrary<Policy.PolicyRequest> = fc
  .record({
    action: fc.constantFrom(...actions),
    tool: fc.constantFrom(...toolNames),
    riskClass: opt(fc.constantFrom("exec", "read", "external_send")),
    roles: fc.subarray(roles),
    instance: fc.constantFrom(...instances),
    agent: opt(fc.constantFrom(...agents)),
    sandboxed: fc.boolean(),
    amount: opt(fc.integer({ min: 0, max: 10 })),
    profile: opt(fc.constantFrom("minimal", "messaging", "standard", "full") as fc.Arbitrary<"minimal">)
  })
  .map((g) => ({
    subject: {
      actor: { kind: "user" as const, id: "u-1", roles: g.roles },
      customerInstanceId: g.instance,
      environment: "production",
      ...(g.agent === undefined ? {} : { agentId: g.agent })
    },
    action: g.action,
    resource:
      g.action === "egress.fetch"
        ? { kind: "host" as const, name: "api.example.com" }
        : g.action === "run.create"
          ? { kind: "run" as const, name: "run" }
          : {
              kind: "tool" as const,
              name: g.tool,
              groups: tools[g.tool]!,
              ...(g.riskClass === undefined ? {} : { riskClass: g.riskClass })
            },
    context: {
      sandboxed: g.sandboxed,
      ...(g.amount === undefined ? {} : { facts: { amount: g.amount } }),
      ...(g.profile === undefined ? {} : { toolProfile: { profile: g.profile } })
    }
  }))

const compile = (document: unknown, config = {}) => {
  const made = Policy.makePolicy(document, { config: Result.getOrThrow(decodeConfigInput(config)) })
  if (Result.isFailure(made)) throw new Error(made.failure.message)
  return made.success
}

const rank: Record<Effect, number> = { deny: 0, require_approval: 1, allow: 2 }

const shuffleArb = <A>(items: ReadonlyArray<A>) =>
  fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length })

// A deliberately naive evaluator of the same semantics: a linear scan, regular expressions for
// globs, no index. The compiled evaluator must agree with it on every request.
const globMatch = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.]/gu, "\\."))
      .join(".*")}$`,
    "u"
  ).test(value)
const profileGroups: Record<string, ReadonlyArray<string> | "all"> = {
  minimal: ["group:memory"],
  messaging: ["group:memory", "group:messaging"],
  standard: ["group:memory", "group:messaging", "group:fs", "group:web"],
  full: "all"
}
const reference = (doc: GenDoc, request: Policy.PolicyRequest) => {
  const { resource, subject } = request
  const amount = request.context?.facts?.amount
  const matches = (r: GenRule) =>
    (r.actions === undefined || globMatch(r.actions, request.action)) &&
    (r.roles === undefined || r.roles.some((role) => subject.actor.roles.includes(role))) &&
    (r.names === undefined ||
      r.names.some((n) =>
        n.startsWith("group:")
          ? resource.kind === "tool" && (resource.groups ?? []).includes(n)
          : globMatch(n, resource.name)
      )) &&
    (r.sandboxed === undefined || r.sandboxed === (request.context?.sandboxed === true)) &&
    (r.amount === undefined ||
      (typeof amount === "number" &&
        {
          lt: amount < r.amount.value,
          lte: amount <= r.amount.value,
          gt: amount > r.amount.value,
          gte: amount >= r.amount.value
        }[r.amount.op]))
  const layers: Array<[string, ReadonlyArray<GenRule>]> = [
    ["dep", doc.deployment],
    [subject.customerInstanceId, subject.customerInstanceId === "acme" ? doc.acme : doc.globex],
    ["bot", subject.agentId === "bot-a" ? doc.botA : []]
  ]
  const matched = layers.flatMap(([prefix, rules]) =>
    rules.flatMap((r, i) => (matches(r) ? [{ id: `${prefix}-${i}`, effect: r.effect }] : []))
  )
  const isTool = request.action === "tool.invoke" && resource.kind === "tool"
  const risky = resource.riskClass !== undefined && resource.riskClass !== "read"
  if (isTool && risky && request.context?.sandboxed !== true)
    matched.push({ id: "platform.risky-tools-sandbox-only", effect: "deny" })
  const profile = request.context?.toolProfile?.profile
  if (isTool && profile !== undefined) {
    const groups = profileGroups[profile]!
    if (groups !== "all" && !(resource.groups ?? []).some((g) => groups.includes(g)))
      matched.push({ id: "run.tool-profile", effect: "deny" })
  }
  const effect: Effect = matched.some((m) => m.effect === "deny")
    ? "deny"
    : matched.some((m) => m.effect === "require_approval")
      ? "require_approval"
      : matched.some((m) => m.effect === "allow")
        ? "allow"
        : "deny"
  return { effect, matched: matched.map((m) => m.id).sort() }
}

describe("policy properties", () => {
  it("the indexed evaluator agrees with a naive linear scan", () => {
    fc.assert(
      fc.property(docArb, fc.array(requestArb, { minLength: 1, maxLength: 20 }), (doc, requests) => {
        const policy = compile(toDocument(doc))
        for (const request of requests) {
          const trace = Policy.decide(policy, request)
          const expected = reference(doc, request)
          expect(trace.effect).toBe(expected.effect)
          expect(trace.matchedRules.map((m) => m.ruleId).sort()).toEqual(expected.matched)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("adding a deny rule, in any layer, never widens a decision", () => {
    fc.assert(
      fc.property(
        docArb,
        requestArb,
        ruleArb,
        fc.constantFrom("deployment", "acme", "globex", "botA"),
        (doc, request, extra, layer) => {
          const before = Policy.decide(compile(toDocument(doc)), request)
          const widened = {
            ...doc,
            [layer]: [...doc[layer as keyof GenDoc], { ...extra, effect: "deny" as const }]
          }
          const after = Policy.decide(compile(toDocument(widened)), request)
          expect(rank[after.effect]).toBeLessThanOrEqual(rank[before.effect])
        }
      ),
      { numRuns: 300 }
    )
  })

  it("a rule of any effect added to any layer never lifts an explicit deny", () => {
    fc.assert(
      fc.property(
        docArb,
        requestArb,
        ruleArb,
        fc.constantFrom("deployment", "acme", "globex", "botA"),
        (doc, request, extra, layer) => {
          const before = Policy.decide(compile(toDocument(doc)), request)
          fc.pre(before.effect === "deny" && before.decidingRule !== undefined)
          const more = { ...doc, [layer]: [...doc[layer as keyof GenDoc], extra] }
          expect(Policy.decide(compile(toDocument(more)), request).effect).toBe("deny")
        }
      ),
      { numRuns: 300 }
    )
  })

  it("the order of rules does not change the decision, the deciding rule or the trace", () => {
    fc.assert(
      fc.property(
        docArb.chain((doc) =>
          fc.tuple(
            fc.constant(doc),
            fc.record({
              deployment: shuffleArb(doc.deployment.map(toRule("dep"))),
              acme: shuffleArb(doc.acme.map(toRule("acme"))),
              globex: shuffleArb(doc.globex.map(toRule("globex"))),
              botA: shuffleArb(doc.botA.map(toRule("bot")))
            })
          )
        ),
        requestArb,
        ([doc, shuffled], request) => {
          const reordered = {
            version: 1,
            agentProfiles: { "bot-a": { rules: shuffled.botA } },
            customerInstances: { globex: { rules: shuffled.globex }, acme: { rules: shuffled.acme } },
            deployment: { rules: shuffled.deployment }
          }
          const a = Policy.decide(compile(toDocument(doc)), request)
          const b = Policy.decide(compile(reordered), request)
          expect(b.effect).toBe(a.effect)
          expect(b.decidingRule).toEqual(a.decidingRule)
          expect(b.matchedRules).toEqual(a.matchedRules)
          expect(b.rationale).toBe(a.rationale)
        }
      ),
      { numRuns: 300 }
    )
  })

  it("denies by default: without a granting rule among the matches, the decision is deny", () => {
    fc.assert(
      fc.property(docArb, requestArb, (doc, request) => {
        const trace = Policy.decide(compile(toDocument(doc)), request)
        const granted = trace.matchedRules.some(
          (m) => m.effect !== "deny" && m.ruleId !== "platform.risky-tools-require-approval"
        )
        if (!granted) {
          expect(trace.effect).toBe("deny")
          if (!trace.matchedRules.some((m) => m.effect === "deny")) expect(trace.decidingRule).toBeUndefined()
        }
      }),
      { numRuns: 500 }
    )
  })

  it("a document with no granting rule denies every request", () => {
    fc.assert(
      fc.property(docArb, requestArb, (doc, request) => {
        const onlyDeny = (rules: ReadonlyArray<GenRule>) =>
          rules.map((r) => ({ ...r, effect: "deny" as const }))
        const denied = {
          deployment: onlyDeny(doc.deployment),
          acme: onlyDeny(doc.acme),
          globex: onlyDeny(doc.globex),
          botA: onlyDeny(doc.botA)
        }
        expect(Policy.decide(compile(toDocument(denied)), request).effect).toBe("deny")
      }),
      { numRuns: 200 }
    )
  })

  it("any matched deny decides, whatever its layer", () => {
    fc.assert(
      fc.property(docArb, requestArb, (doc, request) => {
        const trace = Policy.decide(compile(toDocument(doc)), request)
        if (trace.matchedRules.some((m) => m.effect === "deny")) {
          expect(trace.effect).toBe("deny")
          expect(trace.decidingRule?.effect).toBe("deny")
        }
      }),
      { numRuns: 300 }
    )
  })

  it("every trace is a valid PolicyDecisionTraceV1 whose parts agree", () => {
    const validate = Schema.decodeUnknownResult(PolicyDecisionTraceV1)
    const ids = new Set<string>()
    fc.assert(
      fc.property(docArb, requestArb, fc.boolean(), (doc, request, approvals) => {
        const policy = compile(toDocument(doc), { tools: { riskyRequireApproval: approvals } })
        const trace = Policy.decide(policy, request)
        expect(Result.isSuccess(validate(trace, { onExcessProperty: "error" }))).toBe(true)
        expect(isId(trace.decisionId)).toBe(true)
        expect(ids.has(trace.decisionId)).toBe(false)
        ids.add(trace.decisionId)
        expect(trace.requiresApproval).toBe(trace.effect === "require_approval")
        expect(trace.policyHash).toBe(policy.policyHash)
        if (trace.decidingRule !== undefined) {
          expect(trace.matchedRules).toContainEqual(trace.decidingRule)
          expect(trace.decidingRule.effect === "deny").toBe(trace.effect === "deny")
        } else expect(trace.effect).toBe("deny")
      }),
      { numRuns: 300 }
    )
  })
})
