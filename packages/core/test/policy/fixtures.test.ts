import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { decodeConfig } from "../../src/config/load.js"
import * as Policy from "../../src/policy/index.js"

// Table-driven specification of the policy: each JSON file in fixtures/decisions holds a policy
// document (and optionally a configuration), then requests with the decision they must get.
// Each file in fixtures/invalid holds documents that must be rejected, with the path and kind
// of every problem.

interface DecisionCase {
  readonly name: string
  readonly subject?: unknown
  readonly action: string
  readonly resource: unknown
  readonly context?: unknown
  readonly expect: {
    readonly effect: "allow" | "deny" | "require_approval"
    /** The deciding rule's id, or null for the default deny. */
    readonly decidingRule: string | null
    readonly decidingLayer?: string
    /** Ids of every matched rule, in trace order. */
    readonly matched?: ReadonlyArray<string>
    readonly rationaleIncludes?: string
  }
}

interface DecisionFile {
  readonly description: string
  readonly config?: unknown
  readonly subject: unknown
  readonly policy: unknown
  readonly cases: ReadonlyArray<DecisionCase>
}

interface InvalidFile {
  readonly description: string
  readonly cases: ReadonlyArray<{
    readonly name: string
    readonly document: unknown
    readonly problems: ReadonlyArray<{ readonly path: string; readonly kind: string }>
  }>
}

const dir = join(import.meta.dirname, "fixtures")
const read = <A>(sub: string): Array<[string, A]> =>
  readdirSync(join(dir, sub))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(dir, sub, f), "utf8")) as A])

describe("policy decisions (fixtures/decisions)", () => {
  const files = read<DecisionFile>("decisions")
  it("has fixture files", () => expect(files.length).toBeGreaterThan(5))

  describe.each(files)("%s", (_file, fixture) => {
    const config = Result.getOrThrow(decodeConfig(fixture.config ?? {}))
    const made = Policy.makePolicy(fixture.policy, { config })
    it(`compiles: ${fixture.description}`, () => {
      expect(Result.isSuccess(made), Result.isFailure(made) ? made.failure.message : "").toBe(true)
    })
    const policy = Result.getOrUndefined(made)!
    it.each(fixture.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
      const request = Result.getOrThrow(
        Policy.decodePolicyRequest({
          subject: c.subject ?? fixture.subject,
          action: c.action,
          resource: c.resource,
          ...(c.context === undefined ? {} : { context: c.context })
        })
      )
      const trace = Policy.decide(policy, request)
      expect(trace.effect).toBe(c.expect.effect)
      expect(trace.requiresApproval).toBe(c.expect.effect === "require_approval")
      expect(trace.decidingRule?.ruleId ?? null).toBe(c.expect.decidingRule)
      if (c.expect.decidingLayer !== undefined) expect(trace.decidingRule?.layer).toBe(c.expect.decidingLayer)
      if (c.expect.matched !== undefined)
        expect(trace.matchedRules.map((m) => m.ruleId)).toEqual(c.expect.matched)
      if (c.expect.rationaleIncludes !== undefined)
        expect(trace.rationale).toContain(c.expect.rationaleIncludes)
    })
  })
})

describe("invalid policy documents (fixtures/invalid)", () => {
  const files = read<InvalidFile>("invalid")
  it("has fixture files", () => expect(files.length).toBeGreaterThan(0))

  describe.each(files)("%s", (_file, fixture) => {
    it.each(fixture.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
      const result = Policy.makePolicy(c.document)
      expect(Result.isFailure(result)).toBe(true)
      const error = Result.merge(result) as Policy.PolicyConfigError
      expect(error._tag).toBe("@bga/core/PolicyConfigError")
      expect(error.reason).toBe("invalid")
      expect(error.problems.map((p) => ({ path: p.path, kind: p.kind }))).toEqual(c.problems)
      for (const p of c.problems) expect(error.message).toContain(p.path)
    })
  })
})
