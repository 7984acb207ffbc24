/**
 * The pure building blocks of the run orchestrator: the run state machine, per-customer-instance
 * lanes with fair scheduling, budgets, run event builders, and the checkpoint a run resumes
 * from (after an approval wait or a crash). See docs/adr/0003-run-lifecycle.md.
 *
 * @example
 * ```ts
 * import { Orchestrator } from "@bga/core"
 * const change = Orchestrator.transition(run, { type: "start", workerId })
 * if (Result.isSuccess(change)) events.push(Orchestrator.RunEvents.stateChanged(context, change.success))
 * ```
 *
 * @module
 */
export * from "./Budget.js"
export * from "./Checkpoint.js"
export * from "./CheckpointSteps.js"
export { defaultLaneLimits, InstanceLaneLimits, LaneLimits, QueueFullError } from "./LaneLimits.js"
export * as LaneScheduler from "./LaneScheduler.js"
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
