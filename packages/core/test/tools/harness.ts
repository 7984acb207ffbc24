import { StorageMemory } from "@bga/storage-memory"
import { Context, Effect, Layer } from "effect"
import { AuditLog, type AuditLogShape } from "../../src/audit/AuditLog.js"
import * as Config from "../../src/config/index.js"
import type { BgaConfigInput } from "../../src/config/schema.js"
import type { Actor } from "../../src/contracts/Actor.js"
import { newId } from "../../src/ids.js"
import * as Policy from "../../src/policy/index.js"
import type { SandboxDriverShape } from "../../src/sandbox/SandboxDriver.js"
import * as Secrets from "../../src/secrets/index.js"
import { ApprovalStore, type ApprovalStoreShape } from "../../src/storage/ApprovalStore.js"
import type { InvokeRequest } from "../../src/tools/internal/invoke.js"
import type { ToolDefinition } from "../../src/tools/ToolDefinition.js"
import { makeToolRegistry } from "../../src/tools/ToolRegistry.js"
import * as ToolRuntime from "../../src/tools/ToolRuntime.js"

export const operator: Actor = { kind: "user", id: "u-operator", roles: ["operator"] }
export const approver: Actor = { kind: "user", id: "u-approver", roles: ["approver"] }

/** A policy document for the runtime tests: grants by tool name, approvals for `pay`, approvers resolve. */
export const testPolicy = {
  version: 1,
  deployment: {
    rules: [
      {
        id: "allow-tools",
        effect: "allow",
        rationale: "test tools",
        actions: "tool.invoke",
        resource: { names: ["echo", "slow", "boom", "secretive", "big", "shell", "limited", "web_fetch"] }
      },
      {
        id: "approve-pay",
        effect: "require_approval",
        rationale: "payments need a human",
        actions: "tool.invoke",
        resource: { names: "pay" }
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

export interface Harness {
  readonly runtime: ToolRuntime.ToolRuntimeShape
  readonly audit: AuditLogShape
  readonly approvals: ApprovalStoreShape
  readonly logs: Array<Readonly<Record<string, unknown>>>
}

/** Builds a runtime over in-memory storage, the real policy engine and in-memory secrets. */
export const makeHarness = (
  tools: ReadonlyArray<ToolDefinition>,
  options: {
    readonly config?: BgaConfigInput
    readonly secrets?: Record<string, Record<string, string>>
    readonly sandbox?: SandboxDriverShape
    readonly limits?: ToolRuntime.ToolRuntimeOptions["limits"]
  } = {}
) =>
  Effect.gen(function* () {
    const logs: Array<Readonly<Record<string, unknown>>> = []
    const context = yield* Layer.build(StorageMemory.layer)
    const audit = Context.get(context, AuditLog)
    const approvals = Context.get(context, ApprovalStore)
    const config = yield* Effect.fromResult(Config.decodeConfig(options.config ?? {}))
    const policy = yield* Effect.fromResult(Policy.makePolicy(testPolicy, { config }))
    const runtime = ToolRuntime.make({
      registry: makeToolRegistry(tools),
      config,
      policy: Policy.make(policy, { record: () => Effect.void }),
      audit,
      approvals,
      secrets: Secrets.makeMemory(options.secrets ?? {}),
      sandbox: options.sandbox,
      limits: options.limits,
      log: (line) => logs.push(line)
    })
    return { runtime, audit, approvals, logs } satisfies Harness
  }).pipe(Effect.scoped)

/** One call's request with defaults. */
export const call = (
  toolName: string,
  args: unknown,
  overrides: Partial<InvokeRequest> = {}
): InvokeRequest => ({
  customerInstanceId: "acme",
  environment: "production",
  runId: newId(),
  actor: operator,
  toolName,
  args,
  ...overrides
})
