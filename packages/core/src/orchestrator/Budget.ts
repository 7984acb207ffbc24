import { Schema } from "effect"
import { NonNegativeInt } from "../contracts/primitives.js"
import type { ModelUsage } from "../model/ModelMessage.js"

const PositiveInt = Schema.Int.check(
  Schema.isGreaterThanOrEqualTo(1, { expected: "an integer of at least 1" })
)

/**
 * Limits on one run. Costs are integers in micro-units of the billing currency (1 USD =
 * 1,000,000), so sums never drift. Every limit is optional; none set means unlimited.
 */
export const RunBudgetLimits = Schema.Struct({
  /** Model steps (calls to the model) the run may make. */
  maxSteps: Schema.optionalKey(PositiveInt),
  maxInputTokens: Schema.optionalKey(PositiveInt),
  maxOutputTokens: Schema.optionalKey(PositiveInt),
  maxTotalTokens: Schema.optionalKey(PositiveInt),
  maxCostMicros: Schema.optionalKey(PositiveInt)
}).annotate({ identifier: "RunBudgetLimits" })
export type RunBudgetLimits = typeof RunBudgetLimits.Type

/** The period an instance budget covers, in UTC: a calendar day or a calendar month. */
export const BudgetPeriod = Schema.Literals(["day", "month"])
export type BudgetPeriod = typeof BudgetPeriod.Type

/** Limits on all runs of one customer instance together, per period. */
export const InstanceBudgetLimits = Schema.Struct({
  period: BudgetPeriod,
  maxInputTokens: Schema.optionalKey(PositiveInt),
  maxOutputTokens: Schema.optionalKey(PositiveInt),
  maxTotalTokens: Schema.optionalKey(PositiveInt),
  maxCostMicros: Schema.optionalKey(PositiveInt)
}).annotate({ identifier: "InstanceBudgetLimits" })
export type InstanceBudgetLimits = typeof InstanceBudgetLimits.Type

/** Prices of one model, in micro-units of the currency per million tokens. */
export const ModelPricing = Schema.Struct({
  inputMicrosPerMillionTokens: NonNegativeInt,
  outputMicrosPerMillionTokens: NonNegativeInt
}).annotate({ identifier: "ModelPricing" })
export type ModelPricing = typeof ModelPricing.Type

/** What a run (or an instance in a period) has used so far. */
export const BudgetUsage = Schema.Struct({
  steps: NonNegativeInt,
  inputTokens: NonNegativeInt,
  outputTokens: NonNegativeInt,
  costMicros: NonNegativeInt
}).annotate({ identifier: "BudgetUsage" })
export type BudgetUsage = typeof BudgetUsage.Type

/** Nothing used yet. */
export const emptyUsage: BudgetUsage = { steps: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 }

/** Which budget ran out. */
export const BudgetResource = Schema.Literals([
  "steps",
  "input_tokens",
  "output_tokens",
  "total_tokens",
  "cost"
])
export type BudgetResource = typeof BudgetResource.Type

/** The reason a run stops for budget: whose budget, which resource, the limit and the use. */
export const BudgetExceeded = Schema.Struct({
  scope: Schema.Literals(["run", "instance"]),
  resource: BudgetResource,
  limit: NonNegativeInt,
  used: NonNegativeInt
}).annotate({ identifier: "BudgetExceeded" })
export type BudgetExceeded = typeof BudgetExceeded.Type

const units: Record<BudgetResource, string> = {
  steps: "model steps",
  input_tokens: "input tokens",
  output_tokens: "output tokens",
  total_tokens: "tokens",
  cost: "cost (micro-units)"
}

/** A sentence for run failures and operators: "run used 10512 of its 10000 tokens". */
export const describeExceeded = (e: BudgetExceeded): string =>
  `${e.scope === "run" ? "run" : "customer instance"} used ${e.used} of its ${e.limit} ${units[e.resource]}`

/**
 * Cost of some usage, rounded up to a whole micro-unit so that many small steps never add up
 * to less than they cost.
 */
export const costOf = (usage: ModelUsage, pricing: ModelPricing | undefined): number =>
  pricing === undefined
    ? 0
    : Math.ceil(
        (usage.inputTokens * pricing.inputMicrosPerMillionTokens +
          usage.outputTokens * pricing.outputMicrosPerMillionTokens) /
          1_000_000
      )

/** Adds one model step to a usage total. */
export const addStep = (usage: BudgetUsage, step: ModelUsage, pricing?: ModelPricing): BudgetUsage => ({
  steps: usage.steps + 1,
  inputTokens: usage.inputTokens + step.inputTokens,
  outputTokens: usage.outputTokens + step.outputTokens,
  costMicros: usage.costMicros + costOf(step, pricing)
})

/** Where each period starts (UTC), so a store can sum an instance's usage since then. */
export const periodStart = (now: Date, period: BudgetPeriod): Date =>
  period === "day"
    ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()))
    : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))

/** The budgets that apply to one step of one run. */
export interface BudgetState {
  readonly run: BudgetUsage
  readonly runLimits?: RunBudgetLimits | undefined
  /** The instance's usage in the current period, including this run's so far. */
  readonly instance?: BudgetUsage | undefined
  readonly instanceLimits?: InstanceBudgetLimits | undefined
}

/** Whether a run may go on, and within what. */
export type BudgetVerdict =
  | {
      readonly _tag: "Within"
      /** Output tokens left in the tightest token budget; pass as the step's `maxOutputTokens`. */
      readonly maxOutputTokens: number | undefined
      /** True when this is the last step the step budget allows (ask for a final answer). */
      readonly lastStep: boolean
    }
  | { readonly _tag: "Exceeded"; readonly exceeded: BudgetExceeded }

type Check = readonly [BudgetResource, number | undefined, number]

const checksOf = (usage: BudgetUsage, limits: Omit<RunBudgetLimits, "maxSteps">): ReadonlyArray<Check> => [
  ["input_tokens", limits.maxInputTokens, usage.inputTokens],
  ["output_tokens", limits.maxOutputTokens, usage.outputTokens],
  ["total_tokens", limits.maxTotalTokens, usage.inputTokens + usage.outputTokens],
  ["cost", limits.maxCostMicros, usage.costMicros]
]

const scopes = (state: BudgetState) => {
  const out: Array<{ scope: "run" | "instance"; checks: ReadonlyArray<Check> }> = []
  if (state.runLimits !== undefined) {
    out.push({
      scope: "run",
      checks: [["steps", state.runLimits.maxSteps, state.run.steps], ...checksOf(state.run, state.runLimits)]
    })
  }
  if (state.instanceLimits !== undefined && state.instance !== undefined) {
    out.push({ scope: "instance", checks: checksOf(state.instance, state.instanceLimits) })
  }
  return out
}

/**
 * Before a model step: stops when a budget is used up (steps taken reached the step limit, or
 * tokens or cost reached theirs); otherwise says how many output tokens the step may produce.
 */
export const checkBeforeStep = (state: BudgetState): BudgetVerdict => {
  for (const { scope, checks } of scopes(state)) {
    for (const [resource, limit, used] of checks) {
      if (limit !== undefined && used >= limit)
        return { _tag: "Exceeded", exceeded: { scope, resource, limit, used } }
    }
  }
  let maxOutputTokens: number | undefined
  const tighten = (left: number | undefined) => {
    if (left !== undefined)
      maxOutputTokens = maxOutputTokens === undefined ? left : Math.min(maxOutputTokens, left)
  }
  const room = (limit: number | undefined, used: number) => (limit === undefined ? undefined : limit - used)
  tighten(room(state.runLimits?.maxOutputTokens, state.run.outputTokens))
  tighten(room(state.runLimits?.maxTotalTokens, state.run.inputTokens + state.run.outputTokens))
  if (state.instance !== undefined) {
    tighten(room(state.instanceLimits?.maxOutputTokens, state.instance.outputTokens))
    tighten(
      room(state.instanceLimits?.maxTotalTokens, state.instance.inputTokens + state.instance.outputTokens)
    )
  }
  const maxSteps = state.runLimits?.maxSteps
  return {
    _tag: "Within",
    maxOutputTokens,
    lastStep: maxSteps !== undefined && state.run.steps + 1 >= maxSteps
  }
}

/**
 * After a model step (usage already added): a budget that is now over its limit stops the run
 * before the step's tool calls run. Reaching a token or cost limit exactly is not over it: the
 * step's tools still run, and `checkBeforeStep` stops the next step. A step that used the last
 * allowed step and still asks for tools stops here too: results no step could read are side
 * effects for nothing.
 */
export const checkAfterStep = (
  state: BudgetState,
  step: { readonly toolCalls: number }
): BudgetExceeded | undefined => {
  for (const { scope, checks } of scopes(state)) {
    for (const [resource, limit, used] of checks) {
      if (limit === undefined) continue
      if (resource === "steps" ? step.toolCalls > 0 && used >= limit : used > limit) {
        return { scope, resource, limit, used }
      }
    }
  }
  return undefined
}
