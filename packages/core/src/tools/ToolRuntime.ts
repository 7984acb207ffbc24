import { Context, Effect, Layer } from "effect"
import { AuditLog } from "../audit/AuditLog.js"
import { ConfigService } from "../config/load.js"
import { EgressGuard } from "../egress/EgressGuard.js"
import { PolicyEngine } from "../policy/PolicyEngine.js"
import { SandboxDriver } from "../sandbox/SandboxDriver.js"
import { Secrets } from "../secrets/Secrets.js"
import type { ApprovalRecord } from "../storage/ApprovalStore.js"
import { ApprovalStore } from "../storage/ApprovalStore.js"
import { makeExpireApprovals, makeResolveApproval, type ResolveApprovalInput } from "./internal/approvals.js"
import {
  type InvokeOutcome,
  type InvokeRequest,
  makeInvoke,
  type RuntimeLimits,
  type ToolRuntimeDeps
} from "./internal/invoke.js"
import type { ToolDescriptor, ToolRegistry } from "./ToolRegistry.js"
import type { ApprovalResolveError, ToolRuntimeError } from "./ToolRuntimeError.js"

/**
 * The tool runtime: the one way to run a tool. Every call is decided by policy, recorded in
 * the audit log before and after it runs, contained (timeout, cancellation, output cap,
 * sandbox lane for risky classes, egress guard) and scrubbed of secrets.
 */
export interface ToolRuntimeShape {
  readonly invoke: (request: InvokeRequest) => Effect.Effect<InvokeOutcome, ToolRuntimeError>
  /** The tools as the model sees them. */
  readonly describe: () => ReadonlyArray<ToolDescriptor>
  readonly resolveApproval: (
    customerInstanceId: string,
    input: ResolveApprovalInput
  ) => Effect.Effect<ApprovalRecord, ApprovalResolveError>
  readonly expireApprovals: (
    customerInstanceId: string
  ) => Effect.Effect<ReadonlyArray<ApprovalRecord>, ApprovalResolveError>
}

/** The tool runtime port. */
export class ToolRuntime extends Context.Service<ToolRuntime, ToolRuntimeShape>()("@bga/core/ToolRuntime") {}

/** Builds a runtime from its dependencies (for hosts that wire them by hand). */
export const make = (deps: ToolRuntimeDeps): ToolRuntimeShape => ({
  invoke: makeInvoke(deps),
  describe: () => deps.registry.describe(),
  resolveApproval: makeResolveApproval(deps),
  expireApprovals: makeExpireApprovals(deps)
})

/** Options of the runtime layer. */
export interface ToolRuntimeOptions {
  readonly limits?: RuntimeLimits
  readonly log?: (line: Readonly<Record<string, unknown>>) => void
}

/**
 * Provides the runtime for a registry from the services in context. The sandbox driver and
 * egress guard are optional: without a driver, risky tools are denied by the baseline policy;
 * without a guard, handlers' `fetch` fails.
 */
export const layer = (
  registry: ToolRegistry,
  options: ToolRuntimeOptions = {}
): Layer.Layer<ToolRuntime, never, ConfigService | PolicyEngine | AuditLog | ApprovalStore | Secrets> =>
  Layer.effect(
    ToolRuntime,
    Effect.gen(function* () {
      const sandbox = yield* Effect.serviceOption(SandboxDriver)
      const egress = yield* Effect.serviceOption(EgressGuard)
      return make({
        registry,
        config: yield* Effect.service(ConfigService),
        policy: yield* Effect.service(PolicyEngine),
        audit: yield* Effect.service(AuditLog),
        approvals: yield* Effect.service(ApprovalStore),
        secrets: yield* Effect.service(Secrets),
        sandbox: sandbox._tag === "Some" ? sandbox.value : undefined,
        egress: egress._tag === "Some" ? egress.value : undefined,
        limits: options.limits,
        log: options.log
      })
    })
  )
