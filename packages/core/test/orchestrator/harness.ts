import { StorageMemory } from "@bga/storage-memory"
import { Context, Effect, Latch, Layer, Schema } from "effect"
import { AuditLog, type AuditLogShape } from "../../src/audit/AuditLog.js"
import * as Config from "../../src/config/index.js"
import type { BgaConfigInput } from "../../src/config/schema.js"
import type { Actor } from "../../src/contracts/Actor.js"
import type { RunEventV1 } from "../../src/contracts/RunEvent.js"
import type { RunRequestV2 } from "../../src/contracts/RunRequest.js"
import { ModelPort } from "../../src/model/ModelPort.js"
import * as Orchestrator from "../../src/orchestrator/index.js"
import * as Policy from "../../src/policy/index.js"
import * as Secrets from "../../src/secrets/index.js"
import { ApprovalStore, type ApprovalStoreShape } from "../../src/storage/ApprovalStore.js"
import type { StoragePorts } from "../../src/storage/ports.js"
import { RunStore, type RunStoreShape } from "../../src/storage/RunStore.js"
import * as ScriptedModel from "../../src/testing/ScriptedModel.js"
import { defineTool, type ToolDefinition } from "../../src/tools/ToolDefinition.js"
import { makeToolRegistry } from "../../src/tools/ToolRegistry.js"
import * as ToolRuntime from "../../src/tools/ToolRuntime.js"

export const operator: Actor = { kind: "user", id: "u-operator", roles: ["operator"] }
export const approver: Actor = { kind: "user", id: "u-approver", roles: ["approver"] }

/** The policy of the orchestrator tests: lookups and charges run, refunds need a human, deletes are denied. */
export const testPolicy = {
  version: 1,
  deployment: {
    rules: [
      {
        id: "allow-tools",
        effect: "allow",
        rationale: "test tools",
        actions: "tool.invoke",
        resource: { names: ["lookup", "charge", "slow", "boom", "note"] }
      },
      {
        id: "approve-refunds",
        effect: "require_approval",
        rationale: "refunds need a human",
        actions: "tool.invoke",
        resource: { names: "refund" }
      },
      {
        id: "approvers-resolve",
        effect: "allow",
        rationale: "approvers decide",
        actions: "approval.resolve",
        subject: { roles: "approver" }
      }
    ]
  }
}

/** What the tools did, for assertions. */
export interface ToolLog {
  readonly calls: Array<{ readonly tool: string; readonly args: unknown }>
  readonly aborts: Array<string>
  /** Called by every handler as it runs (e.g. to freeze storage mid-call). */
  onCall?: ((tool: string) => void) | undefined
}

export const makeTools = (log: ToolLog, options: { readonly slowMs?: number } = {}) => {
  const lookup = defineTool({
    name: "lookup",
    description: "Look up a customer's plan",
    parameters: Schema.Struct({ email: Schema.String }),
    idempotent: true,
    handler: ({ email }) => {
      log.calls.push({ tool: "lookup", args: { email } })
      log.onCall?.("lookup")
      return { email, plan: "gold" }
    }
  })
  const charge = defineTool({
    name: "charge",
    description: "Charge a card (not idempotent)",
    parameters: Schema.Struct({ cents: Schema.Number }),
    handler: ({ cents }) => {
      log.calls.push({ tool: "charge", args: { cents } })
      log.onCall?.("charge")
      return { charged: cents }
    }
  })
  const refund = defineTool({
    name: "refund",
    description: "Refund an order",
    parameters: Schema.Struct({ order: Schema.String, cents: Schema.Number }),
    handler: ({ cents, order }) => {
      log.calls.push({ tool: "refund", args: { order, cents } })
      return { refunded: order, cents }
    }
  })
  const deleteAccount = defineTool({
    name: "delete_account",
    description: "Delete a customer account",
    parameters: Schema.Struct({ email: Schema.String }),
    handler: ({ email }) => {
      log.calls.push({ tool: "delete_account", args: { email } })
      return "deleted"
    }
  })
  const slow = defineTool({
    name: "slow",
    description: "Takes its time and stops when aborted",
    parameters: Schema.Struct({}),
    timeoutMs: 60_000,
    handler: (_args, context) =>
      new Promise((resolve, reject) => {
        log.calls.push({ tool: "slow", args: {} })
        const timer = setTimeout(() => resolve("finished"), options.slowMs ?? 30_000)
        context.signal.addEventListener("abort", () => {
          clearTimeout(timer)
          log.aborts.push("slow")
          reject(new Error("aborted"))
        })
      })
  })
  return [lookup, charge, refund, deleteAccount, slow] as ReadonlyArray<ToolDefinition>
}

/**
 * Wraps storage so that, once frozen, every call waits: the process is stalled for storage (its
 * writes do not land, its heartbeats do not renew), as a crashed or paused worker looks to the
 * others. `thaw` lets the waiting calls go on, as a paused worker that wakes up.
 */
export const freezable = (storage: Context.Context<StoragePorts>) => {
  const gate = Latch.makeUnsafe(true)
  const wrap = <S extends object>(shape: S): S => {
    const out: Record<string, unknown> = {}
    for (const [name, method] of Object.entries(shape)) {
      out[name] =
        typeof method === "function"
          ? (...args: Array<unknown>) =>
              gate.whenOpen(
                Effect.suspend(() => (method as (...a: Array<unknown>) => Effect.Effect<unknown>)(...args))
              )
          : method
    }
    return out as S
  }
  const context = Context.make(RunStore, wrap(Context.get(storage, RunStore))).pipe(
    Context.add(ApprovalStore, wrap(Context.get(storage, ApprovalStore))),
    Context.add(AuditLog, wrap(Context.get(storage, AuditLog)))
  )
  return { context, freeze: () => gate.closeUnsafe(), thaw: () => gate.openUnsafe() }
}

export interface Stack {
  readonly orchestrator: Orchestrator.OrchestratorService
  readonly audit: AuditLogShape
  readonly runs: RunStoreShape
  readonly approvals: ApprovalStoreShape
  readonly model: ScriptedModel.ScriptedModel
  readonly tools: ToolLog
  readonly events: Array<RunEventV1>
  /** Makes this stack's storage hang from now on (a stalled or dead worker). */
  readonly freeze: () => void
  readonly thaw: () => void
  readonly storage: Context.Context<StoragePorts>
}

/** Builds storage, the real policy engine and tool runtime, a scripted model and the orchestrator. */
export const makeStack = (options: {
  readonly script: Parameters<typeof ScriptedModel.make>[0]
  readonly orchestrator?: Orchestrator.OrchestratorOptions
  readonly storage?: Layer.Layer<StoragePorts, unknown>
  readonly config?: BgaConfigInput
  readonly tools?: (log: ToolLog) => ReadonlyArray<ToolDefinition>
  readonly slowMs?: number
  /** Shared with another stack (a second process on the same database). */
  readonly storageContext?: Context.Context<StoragePorts>
  readonly toolLog?: ToolLog
}) =>
  Effect.gen(function* () {
    const log: ToolLog = options.toolLog ?? { calls: [], aborts: [] }
    const events: Array<RunEventV1> = []
    const config = yield* Effect.fromResult(Config.decodeConfig(options.config ?? {}))
    const policy = yield* Effect.fromResult(Policy.makePolicy(testPolicy, { config }))
    const registry = makeToolRegistry(
      (
        options.tools ?? ((l) => makeTools(l, options.slowMs === undefined ? {} : { slowMs: options.slowMs }))
      )(log)
    )
    const model = ScriptedModel.make(options.script)
    const storage = options.storageContext ?? (yield* Layer.build(options.storage ?? StorageMemory.layer))
    const frozen = freezable(storage)
    const base = Layer.mergeAll(
      Layer.succeedContext(frozen.context),
      Layer.succeed(Config.ConfigService, config),
      Layer.succeed(Policy.PolicyEngine, Policy.make(policy, { record: () => Effect.void })),
      Layer.succeed(Secrets.Secrets, Secrets.makeMemory({})),
      Layer.succeed(ModelPort, model)
    )
    const context = yield* Layer.build(Layer.provideMerge(ToolRuntime.layer(registry), base))
    const orchestrator = yield* Orchestrator.make({
      tools: registry,
      customerInstances: ["acme", "globex"],
      ...options.orchestrator,
      onEvent: (event) => {
        events.push(event)
        options.orchestrator?.onEvent?.(event)
      }
    }).pipe(Effect.provide(context))
    return {
      orchestrator,
      audit: Context.get(storage, AuditLog),
      runs: Context.get(storage, RunStore),
      approvals: Context.get(storage, ApprovalStore),
      model,
      tools: log,
      events,
      freeze: frozen.freeze,
      thaw: frozen.thaw,
      storage
    } satisfies Stack
  })

/** A run request with defaults. */
export const request = (ci = "acme", overrides: Partial<RunRequestV2> = {}): RunRequestV2 => ({
  version: 2,
  customerInstanceId: ci,
  environment: "production",
  actor: operator,
  input: { text: "Help the customer" },
  ...overrides
})

/** The run's timeline as recorded in the audit log. */
export const timeline = (stack: Stack, ci: string, runId: string) =>
  Effect.map(stack.orchestrator.events(ci, runId, { limit: 1000 }), (page) => page.items)

/** The `from -> to` of every state change, in order. */
export const transitions = (events: ReadonlyArray<RunEventV1>) =>
  events.filter((e) => e.type === "run.state_changed").map((e) => `${e.payload.from}->${e.payload.to}`)

/** Waits until the run is in one of `states` (bounded). */
export const waitFor = (stack: Stack, ci: string, runId: string, states: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    for (let i = 0; i < 500; i++) {
      const view = yield* stack.orchestrator.get(ci, runId)
      if (states.includes(view.run.state)) return view
      yield* Effect.sleep(10)
    }
    return yield* Effect.die(new Error(`run ${runId} never reached ${states.join("/")}`))
  })
