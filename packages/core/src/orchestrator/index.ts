/**
 * The run orchestrator: the service (`make`, `layer`) that runs agents on per-customer-instance
 * lanes, persists every transition, records every event in the audit log and resumes runs after
 * approval waits and crashes; and the pure building blocks it composes: the run state machine,
 * fair lanes, budgets, run event builders, and the checkpoint a run resumes from. The Promise
 * API is `@bga/core/orchestrator/promise`. See docs/adr/0003-run-lifecycle.md.
 *
 * @example
 * ```ts
 * import { Orchestrator } from "@bga/core"
 * const program = Effect.gen(function* () {
 *   const runs = yield* Orchestrator.Orchestrator
 *   const { run } = yield* runs.create(request)
 * }).pipe(Effect.provide(Orchestrator.layer({ tools: registry }).pipe(Layer.provide(deps))))
 * ```
 *
 * @module
 */
export * from "./Budget.js"
export * from "./Checkpoint.js"
export * from "./CheckpointSteps.js"
export { defaultLaneLimits, InstanceLaneLimits, LaneLimits, QueueFullError } from "./LaneLimits.js"
export * as LaneScheduler from "./LaneScheduler.js"
export type { LaneTicket } from "./Lanes.js"
export * as Lanes from "./Lanes.js"
export {
  Orchestrator,
  OrchestratorError,
  type OrchestratorShape,
  type RunEndReason,
  type RunListQuery,
  type RunView
} from "./Orchestrator.js"
export * from "./Recovery.js"
export * as RunEvents from "./RunEvents.js"
export * from "./RunStateMachine.js"
export {
  layer,
  make,
  type OrchestratorOptions,
  type OrchestratorRequirements,
  type OrchestratorService,
  type RecoveryReport
} from "./service.js"
