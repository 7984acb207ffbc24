import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Result } from "effect"
import * as Config from "../../src/config/index.js"
import { isId } from "../../src/ids.js"
import * as Policy from "../../src/policy/index.js"

const document = {
  version: 1,
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
        id: "no-scrape",
        effect: "deny",
        rationale: "No scraping",
        actions: "tool.invoke",
        resource: { names: "web.scrape" }
      }
    ]
  }
}
const policy = Result.getOrThrow(Policy.makePolicy(document))
const subject = {
  actor: { kind: "user" as const, id: "u-ann", roles: [] },
  customerInstanceId: "acme",
  environment: "production"
}
const search: Policy.PolicyRequest = {
  subject,
  action: "tool.invoke",
  resource: { kind: "tool", name: "web.search", groups: ["group:web"] },
  context: { runId: "01966a4e-8b2c-7d3e-9f10-123456789abc" }
}

const engineWith = (sink: Policy.PolicyTraceSinkShape) =>
  Policy.layer(policy).pipe(Layer.provide(Layer.succeed(Policy.PolicyTraceSink, sink)))

describe("PolicyEngine (Effect)", () => {
  it.effect("evaluate decides and records the trace in the sink", () => {
    const sink = Policy.makeMemoryTraceSink()
    return Effect.gen(function* () {
      const engine = yield* Policy.PolicyEngine
      const trace = yield* engine.evaluate(search)
      expect(trace.effect).toBe("allow")
      expect(trace.runId).toBe(search.context?.runId)
      expect(sink.traces()).toEqual([trace])
    }).pipe(Effect.provide(Policy.layer(policy).pipe(Layer.provide(Policy.layerTraceSinkMemory(sink)))))
  })

  it.effect("explain and decide return the trace and record nothing", () => {
    const sink = Policy.makeMemoryTraceSink()
    return Effect.gen(function* () {
      const engine = yield* Policy.PolicyEngine
      const explained = yield* engine.explain(search)
      const decided = engine.decide(search)
      expect(explained.effect).toBe("allow")
      expect(decided.decidingRule).toEqual(explained.decidingRule)
      expect(explained.decisionId).not.toBe(decided.decisionId)
      expect(sink.traces()).toEqual([])
    }).pipe(Effect.provide(engineWith(sink)))
  })

  it.effect("a trace that cannot be recorded fails the evaluation with PolicyTraceError", () =>
    Effect.gen(function* () {
      const engine = yield* Policy.PolicyEngine
      const exit = yield* Effect.exit(engine.evaluate(search))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = yield* Effect.flip(engine.evaluate(search))
      expect(error._tag).toBe("@bga/core/PolicyTraceError")
      expect(isId(error.decisionId)).toBe(true)
      expect(error.message).toContain("must not be acted on")
    }).pipe(
      Effect.provide(
        engineWith({
          record: (trace) =>
            Effect.fail(new Policy.PolicyTraceError({ reason: "unavailable", decisionId: trace.decisionId }))
        })
      )
    )
  )

  it.effect("layerConfig takes the platform baseline from ConfigService and rules from a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "bga-policy-"))
    const path = join(dir, "policy.json")
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        deployment: {
          rules: [{ id: "all", effect: "allow", rationale: "All tools", actions: "tool.invoke" }]
        }
      })
    )
    return Effect.gen(function* () {
      const engine = yield* Policy.PolicyEngine
      const trace = yield* engine.explain({
        subject,
        action: "tool.invoke",
        resource: { kind: "tool", name: "shell.exec", riskClass: "exec" },
        context: { sandboxed: true }
      })
      expect(trace.effect).toBe("deny")
      expect(trace.decidingRule?.ruleId).toBe("platform.risky-tools-denied")
    }).pipe(
      Effect.provide(
        Policy.layerConfig(path).pipe(
          Layer.provide(Config.layer({ tools: { riskyExecution: "deny" } })),
          Layer.provide(Policy.layerTraceSinkNoop)
        )
      )
    )
  })

  it.effect("layerConfig without a file applies only the platform baseline: everything is denied", () =>
    Effect.gen(function* () {
      const engine = yield* Policy.PolicyEngine
      const trace = yield* engine.explain(search)
      expect(trace.effect).toBe("deny")
      expect(trace.decidingRule).toBeUndefined()
      expect(engine.policy.ruleCount).toBe(0)
    }).pipe(
      Effect.provide(
        Policy.layerConfig().pipe(Layer.provide(Config.layer()), Layer.provide(Policy.layerTraceSinkNoop))
      )
    )
  )

  it.effect("layerDocument fails with PolicyConfigError naming the bad rule", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.gen(function* () {
          return yield* Policy.PolicyEngine
        }).pipe(
          Effect.provide(
            Policy.layerDocument({
              version: 1,
              deployment: {
                rules: [{ id: "x", effect: "allow", rationale: "r", resource: { names: "group:nope" } }]
              }
            }).pipe(Layer.provide(Config.layer()), Layer.provide(Policy.layerTraceSinkNoop))
          )
        )
      )
      expect(error._tag).toBe("@bga/core/PolicyConfigError")
      if (error._tag === "@bga/core/PolicyConfigError")
        expect(error.problems[0]).toMatchObject({
          path: "$.deployment.rules[0].resource.names",
          kind: "unknown-group"
        })
    })
  )
})

describe("Promise API", () => {
  it("evaluate records through the sink; explain and decide do not", async () => {
    const recorded: Array<string> = []
    const client = await Policy.createPolicyClient({
      document,
      sink: { record: (t) => void recorded.push(t.decisionId) }
    })
    const evaluated = await client.evaluate(search)
    const explained = await client.explain(search)
    client.decide(search)
    expect(evaluated.effect).toBe("allow")
    expect(explained.effect).toBe("allow")
    expect(recorded).toEqual([evaluated.decisionId])
  })

  it("a sink that rejects makes evaluate reject with PolicyTraceError", async () => {
    const client = await Policy.createPolicyClient({
      document,
      sink: {
        record: () => Promise.reject(new Error("disk full"))
      }
    })
    await expect(client.evaluate(search)).rejects.toMatchObject({
      _tag: "@bga/core/PolicyTraceError",
      reason: "unavailable"
    })
  })

  it("a bad document rejects with PolicyConfigError", async () => {
    await expect(
      Policy.createPolicyClient({
        document: { version: 1, deployment: { rules: [{ id: "x", effect: "allow" }] } }
      })
    ).rejects.toMatchObject({ _tag: "@bga/core/PolicyConfigError", reason: "invalid" })
  })

  it("decodeRequest rejects a malformed request with InvalidInputError naming the field", async () => {
    const client = await Policy.createPolicyClient({ document })
    await expect(client.decodeRequest({ ...search, action: "Tool Invoke" })).rejects.toMatchObject({
      _tag: "@bga/core/InvalidInputError",
      problems: [expect.objectContaining({ path: "$.action" })]
    })
  })

  it("loadPolicyClient reports a missing file as not-found", async () => {
    await expect(Policy.loadPolicyClient("/nonexistent/policy.json")).rejects.toMatchObject({
      _tag: "@bga/core/PolicyConfigError",
      reason: "not-found"
    })
  })
})

describe("policy documents from files", () => {
  it("malformed JSON is reported as malformed, with the parser's message", () => {
    const result = Policy.parsePolicyDocument("{ not json", "policy.json")
    const error = Result.merge(result) as Policy.PolicyConfigError
    expect(error.reason).toBe("malformed")
    expect(error.source).toBe("policy.json")
  })

  it("a document with a __proto__ key is refused before decoding", () => {
    const error = Result.merge(
      Policy.parsePolicyDocument('{"version":1,"__proto__":{"x":1}}')
    ) as Policy.PolicyConfigError
    expect(error.problems[0]?.path).toBe("$.__proto__")
  })

  it("reordering rules keeps decisions but changes the policy hash, which names the version", () => {
    const reordered = Result.getOrThrow(
      Policy.makePolicy({ version: 1, deployment: { rules: [...document.deployment.rules].reverse() } })
    )
    expect(reordered.policyHash).not.toBe(policy.policyHash)
    expect(Policy.decide(reordered, search).decidingRule).toEqual(Policy.decide(policy, search).decidingRule)
  })

  it("the platform baseline is part of the policy hash", () => {
    const withApprovals = Policy.compilePolicy(
      policy.document,
      Result.getOrThrow(Config.decodeConfig({ tools: { riskyRequireApproval: true } }))
    )
    expect(withApprovals.policyHash).not.toBe(policy.policyHash)
  })
})

describe("decision ids and timestamps", () => {
  it("every decision gets a fresh UUIDv7 and a current timestamp", () => {
    const before = Date.now()
    const traces = Array.from({ length: 2000 }, () => Policy.decide(policy, search))
    const after = Date.now()
    const ids = new Set(traces.map((t) => t.decisionId))
    expect(ids.size).toBe(traces.length)
    for (const t of traces) {
      expect(isId(t.decisionId)).toBe(true)
      const ms = Date.parse(t.ts)
      expect(ms).toBeGreaterThanOrEqual(before)
      expect(ms).toBeLessThanOrEqual(after)
      // The id's first 48 bits are the same millisecond as the timestamp.
      expect(Number.parseInt(t.decisionId.replaceAll("-", "").slice(0, 12), 16)).toBe(ms)
    }
  })

  it("every random digit of a decision id varies, and the variant digit takes all four values", () => {
    const ids = Array.from({ length: 4000 }, () =>
      Policy.decide(policy, search).decisionId.replaceAll("-", "")
    )
    // Digits 13-15 (rand_a), 16 (variant bits 10 and two random bits) and 17-31 are random.
    for (let at = 13; at < 32; at++) {
      const seen = new Set(ids.map((id) => id[at]))
      expect(seen.size, `digit ${at}`).toBe(at === 16 ? 4 : 16)
    }
    expect(new Set(ids.map((id) => id[16]))).toEqual(new Set(["8", "9", "a", "b"]))
    expect(new Set(ids.map((id) => id[12]))).toEqual(new Set(["7"]))
  })
})

describe("taxonomy", () => {
  it("risky classes are the four named ones plus anything unknown", () => {
    for (const c of Policy.riskClasses) expect(Policy.isRiskyClass(c)).toBe(true)
    expect(Policy.isRiskyClass("teleport")).toBe(true)
    expect(Policy.isRiskyClass("none")).toBe(false)
    expect(Policy.isRiskyClass("read")).toBe(false)
    expect(Policy.isRiskyClass(undefined)).toBe(false)
  })

  it("profiles grow from minimal to full", () => {
    const { minimal, messaging, standard, full } = Policy.ToolProfiles
    expect(full).toBe("all")
    for (const g of minimal as ReadonlyArray<string>) expect(messaging).toContain(g)
    for (const g of messaging as ReadonlyArray<string>) expect(standard).toContain(g)
    expect(standard).not.toContain(Policy.ToolGroups.runtime)
  })

  it("every known action names the resource kind it acts on", () => {
    for (const action of Object.values(Policy.PolicyActions))
      expect(Policy.actionResourceKind[action]).toBeDefined()
  })
})
