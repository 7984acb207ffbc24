import { describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import fc from "fast-check"
import { decodeUnknown } from "../../src/contracts/index.js"
import {
  addStep,
  type BudgetState,
  type BudgetUsage,
  checkAfterStep,
  checkBeforeStep,
  costOf,
  describeExceeded,
  emptyUsage,
  InstanceBudgetLimits,
  periodStart,
  RunBudgetLimits
} from "../../src/orchestrator/index.js"

const usage = (over: Partial<BudgetUsage>): BudgetUsage => ({ ...emptyUsage, ...over })
// $2.50 per million input tokens, $10 per million output tokens.
const pricing = { inputMicrosPerMillionTokens: 2_500_000, outputMicrosPerMillionTokens: 10_000_000 }

describe("budgets: accounting", () => {
  it("adds a step's tokens and cost to the total", () => {
    const after = addStep(
      addStep(emptyUsage, { inputTokens: 1000, outputTokens: 200 }, pricing),
      { inputTokens: 1500, outputTokens: 100 },
      pricing
    )
    expect(after).toEqual({
      steps: 2,
      inputTokens: 2500,
      outputTokens: 300,
      costMicros: 2500 + 2000 + 3750 + 1000
    })
  })

  it("rounds cost up to a whole micro-unit per step, so many small steps never cost less than they do", () => {
    expect(costOf({ inputTokens: 1, outputTokens: 0 }, pricing)).toBe(3)
    expect(costOf({ inputTokens: 0, outputTokens: 0 }, pricing)).toBe(0)
    fc.assert(
      fc.property(fc.nat(2_000_000), fc.nat(200_000), (i, o) => {
        const exact =
          (i * pricing.inputMicrosPerMillionTokens + o * pricing.outputMicrosPerMillionTokens) / 1e6
        const cost = costOf({ inputTokens: i, outputTokens: o }, pricing)
        expect(Number.isInteger(cost)).toBe(true)
        expect(cost).toBeGreaterThanOrEqual(exact)
        expect(cost - exact).toBeLessThan(1)
      })
    )
  })

  it("costs nothing without a price (only tokens are then budgeted)", () => {
    expect(addStep(emptyUsage, { inputTokens: 10, outputTokens: 10 }).costMicros).toBe(0)
  })

  it("starts instance budget periods at UTC midnight or the first of the month", () => {
    const now = new Date("2026-03-17T23:59:59.999Z")
    expect(periodStart(now, "day").toISOString()).toBe("2026-03-17T00:00:00.000Z")
    expect(periodStart(now, "month").toISOString()).toBe("2026-03-01T00:00:00.000Z")
  })
})

describe("budgets: before a step", () => {
  const cases: ReadonlyArray<[string, BudgetState, string | undefined]> = [
    ["no limits: always go on", { run: usage({ steps: 99, inputTokens: 1e9 }) }, undefined],
    [
      "steps taken reached maxSteps",
      { run: usage({ steps: 5 }), runLimits: { maxSteps: 5 } },
      "run/steps 5/5"
    ],
    [
      "input tokens reached",
      { run: usage({ inputTokens: 100 }), runLimits: { maxInputTokens: 100 } },
      "run/input_tokens 100/100"
    ],
    [
      "output tokens reached",
      { run: usage({ outputTokens: 7 }), runLimits: { maxOutputTokens: 7 } },
      "run/output_tokens 7/7"
    ],
    [
      "total tokens reached",
      { run: usage({ inputTokens: 60, outputTokens: 40 }), runLimits: { maxTotalTokens: 100 } },
      "run/total_tokens 100/100"
    ],
    [
      "cost reached",
      { run: usage({ costMicros: 5000 }), runLimits: { maxCostMicros: 5000 } },
      "run/cost 5000/5000"
    ],
    [
      "the instance's period budget ran out, though the run's did not",
      {
        run: usage({ inputTokens: 10 }),
        runLimits: { maxTotalTokens: 1000 },
        instance: usage({ inputTokens: 900_000, outputTokens: 100_000 }),
        instanceLimits: { period: "day", maxTotalTokens: 1_000_000 }
      },
      "instance/total_tokens 1000000/1000000"
    ],
    [
      "under every limit",
      {
        run: usage({ steps: 2, inputTokens: 10, costMicros: 1 }),
        runLimits: { maxSteps: 5, maxTotalTokens: 100, maxCostMicros: 2 },
        instance: usage({ costMicros: 10 }),
        instanceLimits: { period: "month", maxCostMicros: 11 }
      },
      undefined
    ]
  ]
  it.each(cases)("%s", (_name, state, expected) => {
    const verdict = checkBeforeStep(state)
    const got =
      verdict._tag === "Exceeded"
        ? `${verdict.exceeded.scope}/${verdict.exceeded.resource} ${verdict.exceeded.used}/${verdict.exceeded.limit}`
        : undefined
    expect(got).toBe(expected)
  })

  it("lets a step produce no more output tokens than the tightest token budget has left", () => {
    const verdict = checkBeforeStep({
      run: usage({ inputTokens: 500, outputTokens: 300 }),
      runLimits: { maxOutputTokens: 1000, maxTotalTokens: 1000 },
      instance: usage({ inputTokens: 10_000, outputTokens: 9_900 }),
      instanceLimits: { period: "day", maxOutputTokens: 10_050 }
    })
    expect(verdict).toEqual({ _tag: "Within", maxOutputTokens: 150, lastStep: false })
    expect(checkBeforeStep({ run: emptyUsage })).toEqual({
      _tag: "Within",
      maxOutputTokens: undefined,
      lastStep: false
    })
  })

  it("marks the last step the step budget allows, so the loop can ask for a final answer", () => {
    expect(checkBeforeStep({ run: usage({ steps: 3 }), runLimits: { maxSteps: 4 } })).toMatchObject({
      lastStep: true
    })
    expect(checkBeforeStep({ run: usage({ steps: 2 }), runLimits: { maxSteps: 4 } })).toMatchObject({
      lastStep: false
    })
  })

  it("checks the run's budget before the instance's, so the reason names the narrower scope", () => {
    const verdict = checkBeforeStep({
      run: usage({ costMicros: 10 }),
      runLimits: { maxCostMicros: 10 },
      instance: usage({ costMicros: 10 }),
      instanceLimits: { period: "day", maxCostMicros: 10 }
    })
    expect(verdict._tag === "Exceeded" && verdict.exceeded.scope).toBe("run")
  })
})

describe("budgets: after a step", () => {
  it("stops before the step's tools run when a budget is now over its limit", () => {
    const exceeded = checkAfterStep(
      { run: usage({ steps: 1, outputTokens: 1200 }), runLimits: { maxOutputTokens: 1000 } },
      { toolCalls: 2 }
    )
    expect(exceeded).toEqual({ scope: "run", resource: "output_tokens", limit: 1000, used: 1200 })
    expect(describeExceeded(exceeded!)).toBe("run used 1200 of its 1000 output tokens")
  })

  it("lets the tools of a step that reached a limit exactly run (the next step is stopped before it starts)", () => {
    const state = { run: usage({ steps: 1, outputTokens: 1000 }), runLimits: { maxOutputTokens: 1000 } }
    expect(checkAfterStep(state, { toolCalls: 1 })).toBeUndefined()
    expect(checkBeforeStep(state)._tag).toBe("Exceeded")
  })

  it("stops a step that used the last allowed step and still asks for tools", () => {
    const state = { run: usage({ steps: 3 }), runLimits: { maxSteps: 3 } }
    expect(checkAfterStep(state, { toolCalls: 1 })).toEqual({
      scope: "run",
      resource: "steps",
      limit: 3,
      used: 3
    })
    expect(checkAfterStep(state, { toolCalls: 0 })).toBeUndefined()
  })

  it("names the instance when the instance's period budget is what ran over", () => {
    const exceeded = checkAfterStep(
      {
        run: usage({ steps: 1, costMicros: 40 }),
        instance: usage({ costMicros: 1_000_040 }),
        instanceLimits: { period: "month", maxCostMicros: 1_000_000 }
      },
      { toolCalls: 0 }
    )
    expect(describeExceeded(exceeded!)).toBe(
      "customer instance used 1000040 of its 1000000 cost (micro-units)"
    )
  })

  it("never lets a run go on past a limit: along any sequence of steps, the loop stops by the first step over it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ inputTokens: fc.nat(500), outputTokens: fc.nat(500) }), {
          minLength: 1,
          maxLength: 30
        }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 20 }),
        (steps, maxTotalTokens, maxSteps) => {
          const runLimits = { maxTotalTokens, maxSteps }
          let run = emptyUsage
          for (const step of steps) {
            if (checkBeforeStep({ run, runLimits })._tag === "Exceeded") break
            const before = run
            run = addStep(run, step)
            expect(before.inputTokens + before.outputTokens).toBeLessThan(maxTotalTokens)
            expect(run.steps).toBeLessThanOrEqual(maxSteps)
            if (checkAfterStep({ run, runLimits }, { toolCalls: 1 }) !== undefined) break
          }
        }
      ),
      { numRuns: 300 }
    )
  })
})

describe("budgets: configuration", () => {
  it("decodes limits strictly, naming the bad field", () => {
    expect(
      Result.isSuccess(
        decodeUnknown(RunBudgetLimits, "RunBudgetLimits")({ maxSteps: 20, maxCostMicros: 5_000_000 })
      )
    ).toBe(true)
    const bad = decodeUnknown(RunBudgetLimits, "RunBudgetLimits")({ maxSteps: 0, maxTokens: 5 })
    expect(Result.isFailure(bad) && bad.failure.problems.map((p) => p.path).sort()).toEqual([
      "$.maxSteps",
      "$.maxTokens"
    ])
    const instance = decodeUnknown(
      InstanceBudgetLimits,
      "InstanceBudgetLimits"
    )({ period: "week", maxTotalTokens: 1 })
    expect(Result.isFailure(instance) && instance.failure.problems[0]?.path).toBe("$.period")
    expect(Schema.toJsonSchemaDocument(RunBudgetLimits).schema).toBeDefined()
  })
})
