import { Effect } from "effect"
import type { AuditLogShape } from "../../audit/AuditLog.js"
import type { InvalidInputError } from "../../json/JsonError.js"
import type { StorageError } from "../../storage/errors.js"
import { type BudgetUsage, emptyUsage, type InstanceBudgetLimits, periodStart } from "../Budget.js"

/**
 * What each customer instance has used in its current budget period, for instance budgets.
 *
 * The audit log is the record: every model step is a `run.model_step` event carrying its tokens
 * and cost. The meter sums those events since the period start when an instance is first
 * checked and again every `refreshMs` (so steps of other processes are seen), and adds this
 * process's steps as they happen in between. Instances without a budget are never read.
 */
export interface UsageMeter {
  /** The instance's usage in the current period; `undefined` when it has no budget. */
  readonly current: (
    customerInstanceId: string
  ) => Effect.Effect<BudgetUsage | undefined, InvalidInputError | StorageError>
  /** Counts one step of this process. */
  readonly add: (
    customerInstanceId: string,
    step: { readonly inputTokens: number; readonly outputTokens: number; readonly costMicros: number }
  ) => void
}

interface Entry {
  period: string
  usage: BudgetUsage
  readAt: number
}

/** Most audit pages one refresh reads (1,000 steps each). */
const maxPages = 1000

const numberAt = (value: unknown, key: string): number => {
  const v = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0
}

export const makeUsageMeter = (
  audit: AuditLogShape,
  limitsOf: (customerInstanceId: string) => InstanceBudgetLimits | undefined,
  refreshMs: number
): UsageMeter => {
  const entries = new Map<string, Entry>()

  const read = (customerInstanceId: string, from: string) =>
    Effect.gen(function* () {
      let usage = emptyUsage
      let cursor: string | undefined
      for (let page = 0; page < maxPages; page++) {
        const result = yield* audit.list(customerInstanceId, {
          kinds: ["run_event"],
          eventType: "run.model_step",
          from,
          limit: 1000,
          ...(cursor === undefined ? {} : { cursor })
        })
        for (const record of result.items) {
          const payload = (record.payload as { payload?: unknown }).payload
          const tokens =
            typeof payload === "object" && payload !== null
              ? (payload as { usage?: unknown }).usage
              : undefined
          usage = {
            steps: usage.steps + 1,
            inputTokens: usage.inputTokens + numberAt(tokens, "inputTokens"),
            outputTokens: usage.outputTokens + numberAt(tokens, "outputTokens"),
            costMicros: usage.costMicros + numberAt(payload, "costMicros")
          }
        }
        cursor = result.nextCursor
        if (cursor === undefined) break
      }
      return usage
    })

  return {
    current: (customerInstanceId) =>
      Effect.gen(function* () {
        const limits = limitsOf(customerInstanceId)
        if (limits === undefined) return undefined
        const now = Date.now()
        const period = periodStart(new Date(now), limits.period).toISOString()
        const entry = entries.get(customerInstanceId)
        if (entry !== undefined && entry.period === period && now - entry.readAt < refreshMs)
          return entry.usage
        const usage = yield* read(customerInstanceId, period)
        entries.set(customerInstanceId, { period, usage, readAt: now })
        return usage
      }),
    add: (customerInstanceId, step) => {
      const entry = entries.get(customerInstanceId)
      if (entry === undefined) return
      entry.usage = {
        steps: entry.usage.steps + 1,
        inputTokens: entry.usage.inputTokens + step.inputTokens,
        outputTokens: entry.usage.outputTokens + step.outputTokens,
        costMicros: entry.usage.costMicros + step.costMicros
      }
    }
  }
}
