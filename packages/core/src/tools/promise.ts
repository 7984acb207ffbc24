import { Effect, Exit } from "effect"
import type { ApprovalRecord } from "../storage/ApprovalStore.js"
import type { ResolveApprovalInput } from "./internal/approvals.js"
import type { InvokeOutcome, InvokeRequest } from "./internal/invoke.js"
import type { ToolDescriptor } from "./ToolRegistry.js"
import type { ToolRuntimeShape } from "./ToolRuntime.js"

/** The tool runtime with Promise methods; failures reject with the typed errors of the Effect API. */
export interface PromiseToolRuntime {
  readonly invoke: (request: InvokeRequest) => Promise<InvokeOutcome>
  readonly describe: () => ReadonlyArray<ToolDescriptor>
  readonly resolveApproval: (
    customerInstanceId: string,
    input: ResolveApprovalInput
  ) => Promise<ApprovalRecord>
  readonly expireApprovals: (customerInstanceId: string) => Promise<ReadonlyArray<ApprovalRecord>>
}

const run = async <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  throw failure?._tag === "Fail" ? failure.error : new Error("tool runtime defect", { cause: exit.cause })
}

/**
 * Wraps a runtime for callers that do not use Effect.
 *
 * @example
 * ```ts
 * const tools = toPromise(ToolRuntime.make({ registry, config, policy, audit, approvals, secrets }))
 * const outcome = await tools.invoke({ customerInstanceId: "acme", environment: "production", runId, actor, toolName: "web_fetch", args })
 * ```
 */
export const toPromise = (runtime: ToolRuntimeShape): PromiseToolRuntime => ({
  invoke: (request) => run(runtime.invoke(request)),
  describe: () => runtime.describe(),
  resolveApproval: (customerInstanceId, input) => run(runtime.resolveApproval(customerInstanceId, input)),
  expireApprovals: (customerInstanceId) => run(runtime.expireApprovals(customerInstanceId))
})
