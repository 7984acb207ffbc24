/**
 * The run orchestrator for code that does not use Effect: one call builds the whole stack
 * (storage, policy, tool runtime, model, orchestrator) and returns Promise methods. Failures
 * reject with the same typed errors as the Effect API (`OrchestratorError`, `InvalidInputError`,
 * `ApprovalResolveError`; check `error._tag` or use `instanceof`).
 *
 * @example
 * ```ts
 * import { createOrchestrator } from "@bga/core/orchestrator/promise"
 * import { StorageSqlite } from "@bga/storage-sqlite"
 * const bga = await createOrchestrator({
 *   storage: StorageSqlite.layer({ path: ".data/bga.sqlite" }),
 *   model: myModel,
 *   tools: [crmLookup],
 *   policy: policyDocument
 * })
 * const { run } = await bga.create(request)
 * await bga.close()
 * ```
 *
 * @module
 */
import { Cause, Context, Effect, Exit, Layer, Result, Scope } from "effect"
import type { AuditQuery, AuditVerifyInput } from "../audit/AuditLog.js"
import { AuditLog } from "../audit/AuditLog.js"
import type { AuditRecord } from "../audit/AuditRecord.js"
import type { VerifyReport } from "../audit/verify.js"
import { ConfigService, decodeConfig } from "../config/load.js"
import type { BgaConfigInput } from "../config/schema.js"
import type { Actor } from "../contracts/Actor.js"
import type { RunEventV1 } from "../contracts/RunEvent.js"
import type { RunRequestV2 } from "../contracts/RunRequest.js"
import type { EgressGuardShape } from "../egress/EgressGuard.js"
import { EgressGuard } from "../egress/EgressGuard.js"
import { ModelPort, type ModelPortShape } from "../model/ModelPort.js"
import { emptyPolicyDocument, makePolicy } from "../policy/load.js"
import { make as makePolicyEngine, PolicyEngine } from "../policy/PolicyEngine.js"
import type { SandboxDriverShape } from "../sandbox/SandboxDriver.js"
import { SandboxDriver } from "../sandbox/SandboxDriver.js"
import { makeMemory as makeMemorySecrets, Secrets, type SecretsShape } from "../secrets/Secrets.js"
import type { ApprovalRecord } from "../storage/ApprovalStore.js"
import type { Page } from "../storage/cursor.js"
import type { StoragePorts } from "../storage/ports.js"
import type { ResolveApprovalInput } from "../tools/internal/approvals.js"
import type { RuntimeLimits } from "../tools/internal/invoke.js"
import type { ToolDefinition } from "../tools/ToolDefinition.js"
import { makeToolRegistry, type ToolRegistry } from "../tools/ToolRegistry.js"
import * as ToolRuntime from "../tools/ToolRuntime.js"
import { Orchestrator, type RunListQuery, type RunView } from "./Orchestrator.js"
import { make, type OrchestratorOptions, type OrchestratorService, type RecoveryReport } from "./service.js"

/** Everything `createOrchestrator` builds the stack from. */
export interface CreateOrchestratorOptions extends Omit<OrchestratorOptions, "tools"> {
  /** A storage adapter's layer: `StorageSqlite.layer({ path })`, `StorageMemory.layer`, ... */
  readonly storage: Layer.Layer<StoragePorts, unknown>
  /** The model every run talks to: `AiSdkModel.make(...)`, `ScriptedModel.make(...)`, or `fromPromise`. */
  readonly model: ModelPortShape
  /** The tools runs may call (each still needs a policy rule that allows it). */
  readonly tools?: ToolRegistry | ReadonlyArray<ToolDefinition>
  /** The policy document (JSON value); without one only the platform baseline applies. */
  readonly policy?: unknown
  /** The BGA configuration (B2B defaults for what is left out). */
  readonly config?: BgaConfigInput
  /** Secrets for tools that declare them (default: none). */
  readonly secrets?: SecretsShape
  readonly sandbox?: SandboxDriverShape
  readonly egress?: EgressGuardShape
  /** The tool runtime's own limits (calls per run, rate per instance). */
  readonly toolLimits?: RuntimeLimits
}

/** The orchestrator with Promise methods, and the audit trail its runs leave. */
export interface PromiseOrchestrator {
  readonly workerId: string
  readonly create: (request: RunRequestV2) => Promise<{ readonly run: RunView; readonly created: boolean }>
  readonly get: (customerInstanceId: string, runId: string) => Promise<RunView>
  readonly list: (customerInstanceId: string, query?: RunListQuery) => Promise<Page<RunView>>
  readonly cancel: (
    customerInstanceId: string,
    runId: string,
    by: { readonly actor: Actor; readonly reason?: string }
  ) => Promise<RunView>
  readonly events: (
    customerInstanceId: string,
    runId: string,
    options?: { readonly cursor?: string; readonly limit?: number }
  ) => Promise<Page<RunEventV1>>
  readonly resolveApproval: (
    customerInstanceId: string,
    input: ResolveApprovalInput
  ) => Promise<ApprovalRecord>
  /** Resolves when every run of this process has ended or waits. */
  readonly awaitIdle: () => Promise<void>
  readonly recover: () => Promise<RecoveryReport>
  /** The audit log the runs are recorded in: query it and verify its hash chain. */
  readonly audit: {
    readonly list: (customerInstanceId: string, query?: AuditQuery) => Promise<Page<AuditRecord>>
    readonly verify: (customerInstanceId: string, input?: AuditVerifyInput) => Promise<VerifyReport>
  }
  /** Stops the workers (their runs go back to the queue for the next process) and closes storage. */
  readonly close: () => Promise<void>
}

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
  Effect.runPromiseExit(effect).then((exit) =>
    Exit.isSuccess(exit) ? exit.value : Promise.reject(Cause.squash(exit.cause))
  )

const fromResult = <A, E>(result: Result.Result<A, E>) =>
  Result.isSuccess(result) ? Effect.succeed(result.success) : Effect.fail(result.failure)

/**
 * Builds storage, policy, tool runtime and orchestrator and starts the workers (recovering the
 * runs of `customerInstances` a previous process left). Rejects with `ConfigError`,
 * `PolicyConfigError`, `InvalidInputError` (options) or the storage adapter's error.
 */
export const createOrchestrator = async (
  options: CreateOrchestratorOptions
): Promise<PromiseOrchestrator> => {
  const {
    config: configInput,
    egress,
    model,
    policy,
    sandbox,
    secrets,
    storage,
    toolLimits,
    tools,
    ...rest
  } = options
  const registry: ToolRegistry =
    tools === undefined
      ? makeToolRegistry([])
      : Array.isArray(tools)
        ? makeToolRegistry(tools)
        : (tools as ToolRegistry)
  const stack = Effect.gen(function* () {
    const config = yield* fromResult(decodeConfig(configInput ?? {}))
    const compiled = yield* fromResult(makePolicy(policy ?? emptyPolicyDocument, { config }))
    const base = Layer.mergeAll(
      storage,
      Layer.succeed(ConfigService, config),
      Layer.succeed(PolicyEngine, makePolicyEngine(compiled, { record: () => Effect.void })),
      Layer.succeed(Secrets, secrets ?? makeMemorySecrets({})),
      Layer.succeed(ModelPort, model),
      sandbox === undefined ? Layer.empty : Layer.succeed(SandboxDriver, sandbox),
      egress === undefined ? Layer.empty : Layer.succeed(EgressGuard, egress)
    )
    const withTools = Layer.provideMerge(
      ToolRuntime.layer(registry, toolLimits === undefined ? {} : { limits: toolLimits }),
      base
    )
    return Layer.provideMerge(Layer.effect(Orchestrator, make({ ...rest, tools: registry })), withTools)
  })
  const scope = Effect.runSync(Scope.make())
  let context: Context.Context<Orchestrator | AuditLog>
  try {
    const layer = await run(stack)
    context = await run(
      Layer.buildWithScope(layer, scope) as Effect.Effect<Context.Context<Orchestrator | AuditLog>, unknown>
    )
  } catch (error) {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw error
  }
  const orchestrator = Context.get(context, Orchestrator) as OrchestratorService
  const audit = Context.get(context, AuditLog)
  return {
    workerId: orchestrator.workerId,
    create: (request) => run(orchestrator.create(request)),
    get: (ci, runId) => run(orchestrator.get(ci, runId)),
    list: (ci, query) => run(orchestrator.list(ci, query)),
    cancel: (ci, runId, by) => run(orchestrator.cancel(ci, runId, by)),
    events: (ci, runId, opts) => run(orchestrator.events(ci, runId, opts)),
    resolveApproval: (ci, input) => run(orchestrator.resolveApproval(ci, input)),
    awaitIdle: () => run(orchestrator.awaitIdle),
    recover: () => run(orchestrator.recover),
    audit: {
      list: (ci, query) => run(audit.list(ci, query)),
      verify: (ci, input) => run(audit.verify(ci, input))
    },
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
