import { Result, Schema } from "effect"
import { decodeUnknown } from "../../contracts/decode.js"
import { newId } from "../../ids.js"
import type { InvalidInputError } from "../../json/JsonError.js"
import { InstanceBudgetLimits, ModelPricing, RunBudgetLimits } from "../Budget.js"
import { defaultLaneLimits, LaneLimits } from "../LaneLimits.js"
import { NonIdempotentRecovery } from "../Recovery.js"
import type { OrchestratorOptions } from "../service.js"
import type { ResolvedOptions } from "./env.js"

const Int = (minimum: number, maximum: number) =>
  Schema.Int.check(
    Schema.isBetween({ minimum, maximum }, { expected: `an integer from ${minimum} to ${maximum}` })
  )

/** The data part of the options, checked like any input so a typo fails at startup by name. */
const Settings = Schema.Struct({
  workerId: Schema.optionalKey(
    Schema.String.check(
      Schema.isPattern(/^[A-Za-z0-9._:@/-]{1,128}$/u, {
        expected: "1 to 128 letters, digits or . _ : @ / -"
      })
    )
  ),
  lanes: Schema.optionalKey(LaneLimits),
  budgets: Schema.optionalKey(
    Schema.Struct({
      run: Schema.optionalKey(RunBudgetLimits),
      instance: Schema.optionalKey(InstanceBudgetLimits),
      instances: Schema.optionalKey(Schema.Record(Schema.String, InstanceBudgetLimits))
    })
  ),
  maxSteps: Schema.optionalKey(Int(1, 10_000)),
  pricing: Schema.optionalKey(ModelPricing),
  lease: Schema.optionalKey(
    Schema.Struct({
      ttlMs: Schema.optionalKey(Int(100, 86_400_000)),
      heartbeatMs: Schema.optionalKey(Int(10, 86_400_000))
    })
  ),
  sweepIntervalMs: Schema.optionalKey(Int(10, 86_400_000)),
  rescanIntervalMs: Schema.optionalKey(Int(10, 86_400_000)),
  instanceUsageRefreshMs: Schema.optionalKey(Int(0, 86_400_000)),
  nonIdempotentRecovery: Schema.optionalKey(NonIdempotentRecovery),
  approvalDenied: Schema.optionalKey(Schema.Literals(["tell_model", "fail"])),
  modelRetries: Schema.optionalKey(Int(0, 10)),
  modelRetryDelayMs: Schema.optionalKey(Int(0, 600_000)),
  shutdownTimeoutMs: Schema.optionalKey(Int(0, 600_000)),
  customerInstances: Schema.optionalKey(Schema.Array(Schema.String).check(Schema.isMaxLength(100_000)))
})

const decodeSettings = decodeUnknown(Settings, "OrchestratorOptions")

/** Checks the options and fills in the defaults. */
export const resolveOptions = (
  options: OrchestratorOptions
): Result.Result<ResolvedOptions, InvalidInputError> => {
  const { log, onEvent, recoverOnStart: _recover, system, tools, ...data } = options
  const decoded = decodeSettings(data)
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
  const o = decoded.success
  const ttlMs = o.lease?.ttlMs ?? 30_000
  const heartbeatMs = Math.min(
    o.lease?.heartbeatMs ?? Math.max(10, Math.floor(ttlMs / 3)),
    Math.floor(ttlMs / 2)
  )
  const runBudget = { ...o.budgets?.run, maxSteps: o.budgets?.run?.maxSteps ?? o.maxSteps ?? 20 }
  const instances = o.budgets?.instances
  const sweepIntervalMs = o.sweepIntervalMs ?? 5_000
  return Result.succeed({
    workerId: o.workerId ?? `worker:${process.pid}:${newId()}`,
    lanes: o.lanes ?? defaultLaneLimits,
    runBudget,
    instanceBudget: (ci) =>
      (instances !== undefined && Object.hasOwn(instances, ci) ? instances[ci] : undefined) ??
      o.budgets?.instance,
    pricing: o.pricing,
    system: typeof system === "string" ? () => system : system,
    leaseTtlMs: ttlMs,
    heartbeatMs: Math.max(10, heartbeatMs),
    sweepIntervalMs,
    rescanIntervalMs: o.rescanIntervalMs ?? Math.max(60_000, sweepIntervalMs),
    instanceUsageRefreshMs: o.instanceUsageRefreshMs ?? 60_000,
    nonIdempotentRecovery: o.nonIdempotentRecovery ?? "fail",
    approvalDenied: o.approvalDenied ?? "tell_model",
    modelRetries: o.modelRetries ?? 2,
    modelRetryDelayMs: o.modelRetryDelayMs ?? 500,
    shutdownTimeoutMs: o.shutdownTimeoutMs ?? 5_000,
    toolInfo: (name) => tools?.get(name),
    isIdempotent: (name) => tools?.get(name)?.idempotent ?? false,
    customerInstances: o.customerInstances ?? [],
    onEvent,
    log: log ?? (() => {})
  })
}
