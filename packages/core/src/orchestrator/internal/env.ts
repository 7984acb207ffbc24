import type { Effect } from "effect"
import type { AuditLogShape } from "../../audit/AuditLog.js"
import type { BgaConfig } from "../../config/schema.js"
import type { RunEventV1 } from "../../contracts/RunEvent.js"
import type { RunRequestV2 } from "../../contracts/RunRequest.js"
import type { ModelPortShape } from "../../model/ModelPort.js"
import type { ApprovalStoreShape } from "../../storage/ApprovalStore.js"
import type { RunStoreShape } from "../../storage/RunStore.js"
import type { ToolRuntimeShape } from "../../tools/ToolRuntime.js"
import type { InstanceBudgetLimits, ModelPricing, RunBudgetLimits } from "../Budget.js"
import type { LaneLimits } from "../LaneLimits.js"
import type { Lanes } from "../Lanes.js"
import type { NonIdempotentRecovery } from "../Recovery.js"
import type { UsageMeter } from "./usage.js"

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly workerId: string
  readonly lanes: LaneLimits
  readonly runBudget: RunBudgetLimits
  readonly instanceBudget: (customerInstanceId: string) => InstanceBudgetLimits | undefined
  readonly pricing: ModelPricing | undefined
  readonly system: ((request: RunRequestV2) => string | undefined) | undefined
  readonly leaseTtlMs: number
  readonly heartbeatMs: number
  readonly sweepIntervalMs: number
  readonly rescanIntervalMs: number
  readonly instanceUsageRefreshMs: number
  readonly nonIdempotentRecovery: NonIdempotentRecovery
  readonly approvalDenied: "tell_model" | "fail"
  readonly modelRetries: number
  readonly modelRetryDelayMs: number
  readonly shutdownTimeoutMs: number
  readonly isIdempotent: (toolName: string) => boolean
  /** What this process knows of a tool (from the registry given in the options). */
  readonly toolInfo: (
    toolName: string
  ) => { readonly idempotent: boolean; readonly redactArgs: ReadonlyArray<string> } | undefined
  readonly customerInstances: ReadonlyArray<string>
  readonly onEvent: ((event: RunEventV1) => void) | undefined
  readonly log: (line: Readonly<Record<string, unknown>>) => void
}

/** How a session was asked for. */
export interface ScheduleRequest {
  readonly customerInstanceId: string
  readonly runId: string
  /**
   * `created`: this process just created the run and appended its creation event.
   * `trigger`: something happened to the run (an approval was resolved or expired).
   * `scan`: a sweep found it (recovery, stale work); skipped if the run is already here.
   */
  readonly reason: "created" | "trigger" | "scan"
  /** For `created`: false when the creation event is still to be recorded (with the start). */
  readonly createdRecorded?: boolean
}

/** Everything the orchestrator's parts share. */
export interface Env {
  readonly runs: RunStoreShape
  readonly approvals: ApprovalStoreShape
  readonly audit: AuditLogShape
  readonly tools: ToolRuntimeShape
  readonly model: ModelPortShape
  readonly config: BgaConfig | undefined
  readonly options: ResolvedOptions
  readonly lanes: Lanes
  readonly usage: UsageMeter
  /** Customer instances this process sweeps (configured ones and every one it has seen). */
  readonly instances: Set<string>
  /** Asks for a session on a run (coalesced with one already here). */
  readonly schedule: (request: ScheduleRequest) => Effect.Effect<void>
}
