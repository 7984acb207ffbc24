import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { defaultConfig } from "../../src/config/load.js"
import type { PolicyDecisionTraceV1 } from "../../src/contracts/PolicyDecisionTrace.js"
import * as Policy from "../../src/policy/index.js"
import { makeMemoBudget } from "../../src/policy/internal/candidates.js"
import { baselineOf, compileDocument } from "../../src/policy/internal/compile.js"
import { decide } from "../../src/policy/internal/evaluate.js"

// Each bucket of the index remembers, per resource, the rules that can match it. What it
// remembers must never change a decision: not when the same name comes back with other groups,
// risk class, kind or action, not when the caller reuses its arrays, not when the memo is full.

const document = Result.getOrThrow(
  Policy.decodePolicyDocument({
    version: 1,
    groups: ["group:crm"],
    deployment: {
      rules: [
        {
          id: "web",
          effect: "allow",
          rationale: "Research",
          actions: "tool.invoke",
          resource: { names: "group:web" }
        },
        {
          id: "crm-read",
          effect: "allow",
          rationale: "CRM reads",
          actions: "tool.invoke",
          resource: { names: ["crm.*", "group:crm"] }
        },
        {
          id: "no-exec-crm",
          effect: "deny",
          rationale: "No code in the CRM",
          actions: "tool.*",
          resource: { names: "crm.*", riskClasses: "exec" }
        },
        {
          id: "big-payments",
          effect: "require_approval",
          rationale: "Large amounts",
          actions: "tool.invoke",
          resource: { names: "*.pay" },
          when: [{ fact: "amount", op: "gt", value: 100 }]
        },
        {
          id: "odd-names",
          effect: "deny",
          rationale: "Names with a digit in the middle",
          resource: { names: "crm.?x*" },
          subject: { roles: "intern" }
        },
        {
          id: "example-hosts",
          effect: "allow",
          rationale: "Partner sites",
          actions: "egress.fetch",
          resource: { kinds: "host", names: "*.example.com" }
        }
      ]
    },
    customerInstances: {
      acme: {
        rules: [
          {
            id: "acme-no-web-fetch",
            effect: "deny",
            rationale: "Acme keeps to search",
            actions: "tool.invoke",
            resource: { names: "web.fetch" }
          }
        ]
      }
    }
  })
)

const baseline = baselineOf(defaultConfig())
const compile = (budget = makeMemoBudget()) => compileDocument(document, baseline, "0".repeat(64), budget)

type Gen = {
  readonly action: "tool.invoke" | "egress.fetch"
  readonly kind: "tool" | "host"
  readonly name: string
  readonly groups: ReadonlyArray<string> | undefined
  readonly riskClass: string | undefined
  readonly roles: ReadonlyArray<string>
  readonly instance: string
  readonly amount: number | undefined
}

const requestOf = (g: Gen): Policy.PolicyRequest => ({
  subject: {
    actor: { kind: "user", id: "u-1", roles: g.roles },
    customerInstanceId: g.instance,
    environment: "production"
  },
  action: g.action,
  resource: {
    kind: g.kind,
    name: g.name,
    ...(g.groups === undefined ? {} : { groups: g.groups }),
    ...(g.riskClass === undefined ? {} : { riskClass: g.riskClass })
  },
  context: { sandboxed: true, ...(g.amount === undefined ? {} : { facts: { amount: g.amount } }) }
})

const genArb: fc.Arbitrary<Gen> = fc.record({
  action: fc.constantFrom("tool.invoke" as const, "egress.fetch" as const),
  kind: fc.constantFrom("tool" as const, "host" as const),
  name: fc.constantFrom("web.fetch", "web.search", "crm.get", "crm.3x", "billing.pay", "api.example.com"),
  groups: fc.option(
    fc.subarray(["group:web", "group:crm", "group:runtime"], { minLength: 0, maxLength: 2 }),
    {
      nil: undefined
    }
  ),
  riskClass: fc.option(fc.constantFrom("exec", "read"), { nil: undefined }),
  roles: fc.subarray(["intern", "operator"]),
  instance: fc.constantFrom("acme", "globex"),
  amount: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined })
})

/** A trace without what differs between two decisions of the same request. */
const content = (trace: PolicyDecisionTraceV1) => {
  const { decisionId: _id, ts: _ts, ...rest } = trace
  return rest
}

const execCrm: Gen = {
  action: "tool.invoke",
  kind: "tool",
  name: "crm.get",
  groups: ["group:crm"],
  riskClass: "exec",
  roles: [],
  instance: "globex",
  amount: undefined
}

describe("memoized candidate lists", () => {
  it("a name seen again with other groups, risk class, kind or action is decided afresh", () => {
    const policy = compile()
    const base: Gen = {
      action: "tool.invoke",
      kind: "tool",
      name: "crm.get",
      groups: ["group:crm"],
      riskClass: "read",
      roles: [],
      instance: "globex",
      amount: undefined
    }
    const ids = (g: Gen) => decide(policy, requestOf(g)).matchedRules.map((m) => m.ruleId)
    expect(ids(base)).toEqual(["crm-read"])
    expect(ids({ ...base, riskClass: "exec" })).toEqual(["crm-read", "no-exec-crm"])
    expect(ids({ ...base, name: "web.fetch", groups: ["group:web"] })).toEqual(["web"])
    expect(ids({ ...base, name: "web.fetch", groups: ["group:crm"] })).toEqual(["crm-read"])
    expect(ids({ ...base, name: "web.fetch", groups: ["group:crm", "group:web"] })).toEqual([
      "crm-read",
      "web"
    ])
    expect(ids({ ...base, name: "web.fetch", groups: undefined })).toEqual([])
    // Groups hold tools only, and the host rule asks for a host.
    expect(ids({ ...base, kind: "host" })).toEqual(["crm-read"])
    expect(ids({ ...base, kind: "host", action: "egress.fetch", name: "api.example.com" })).toEqual([
      "example-hosts"
    ])
    expect(ids({ ...base, kind: "tool", action: "egress.fetch", name: "api.example.com" })).toEqual([])
    expect(ids(base)).toEqual(["crm-read"])
  })

  it("a name asked about under other actions is decided afresh, also for actions no rule names", () => {
    const policy = compile()
    const ids = (action: string) =>
      decide(policy, { ...requestOf(execCrm), action }).matchedRules.map((m) => m.ruleId)
    // Neither action has a bucket of its own: both read the rules whose actions are globs.
    expect(ids("tool.custom")).toEqual(["no-exec-crm"])
    expect(ids("run.custom")).toEqual([])
    expect(ids("tool.custom")).toEqual(["no-exec-crm"])
    expect(ids("tool.invoke")).toEqual(["crm-read", "no-exec-crm"])
  })

  it("a resource is kept from the second time a bucket sees it: names asked about once cost no entry", () => {
    const budget = makeMemoBudget()
    const policy = compile(budget)
    const host = (name: string) =>
      requestOf({
        action: "egress.fetch",
        kind: "host",
        name,
        groups: undefined,
        riskClass: undefined,
        roles: [],
        instance: "globex",
        amount: undefined
      })
    for (let i = 0; i < 100; i++) expect(decide(policy, host(`h${i}.example.com`)).effect).toBe("allow")
    expect(budget.entries).toBe(0)
    for (let i = 0; i < 3; i++) {
      const trace = decide(policy, host("again.example.com"))
      expect(trace.matchedRules.map((m) => m.ruleId)).toEqual(["example-hosts"])
      expect(budget.entries).toBe(i === 0 ? 0 : 1)
    }
  })

  it("a caller that changes its groups array after a decision gets a decision on the new groups", () => {
    const policy = compile()
    const groups = ["group:web"]
    const request = requestOf({
      action: "tool.invoke",
      kind: "tool",
      name: "web.search",
      groups,
      riskClass: undefined,
      roles: [],
      instance: "globex",
      amount: undefined
    })
    expect(decide(policy, request).effect).toBe("allow")
    groups[0] = "group:runtime"
    expect(decide(policy, request).effect).toBe("deny")
    expect(decide(policy, request).matchedRules).toEqual([])
  })

  it("the memos of a policy stay within their budget, and emptying them changes no decision", () => {
    fc.assert(
      fc.property(fc.array(genArb, { minLength: 1, maxLength: 60 }), (gens) => {
        const budget = makeMemoBudget({ maxEntries: 3, maxWords: 36 })
        const bounded = compile(budget)
        const remembering = compile()
        for (const g of gens) {
          const request = requestOf(g)
          const fresh = decide(compile(), request)
          expect(content(decide(bounded, request))).toEqual(content(fresh))
          expect(content(decide(remembering, request))).toEqual(content(fresh))
          expect(budget.entries).toBeLessThanOrEqual(3)
          expect(budget.words).toBeLessThanOrEqual(36)
          let entries = 0
          let words = 0
          for (const memo of budget.memos) {
            entries += memo.size
            for (const kept of memo.values()) words += kept.size
          }
          expect([entries, words]).toEqual([budget.entries, budget.words])
        }
      }),
      { numRuns: 200 }
    )
  })

  it("an entry larger than the whole budget is made at every request and never kept", () => {
    // 8 words of fields, 3 rules, the name and two groups: more than 12 words.
    const budget = makeMemoBudget({ maxEntries: 10, maxWords: 12 })
    const policy = compile(budget)
    const request = requestOf({
      action: "tool.invoke",
      kind: "tool",
      name: "crm.get",
      groups: ["group:crm", "group:web"],
      riskClass: "exec",
      roles: [],
      instance: "globex",
      amount: undefined
    })
    const first = decide(policy, request)
    expect(first.matchedRules.map((m) => m.ruleId)).toEqual(["crm-read", "no-exec-crm", "web"])
    expect(content(decide(policy, request))).toEqual(content(first))
    expect([budget.entries, budget.words]).toEqual([0, 0])
  })
})
