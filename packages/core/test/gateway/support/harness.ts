import { StorageMemory } from "@bga/storage-memory"
import { Context, Effect, Exit, Layer, Redacted, Scope } from "effect"
import { AuditLog, type AuditLogShape } from "../../../src/audit/AuditLog.js"
import * as Config from "../../../src/config/index.js"
import type { Actor } from "../../../src/contracts/Actor.js"
import * as ApiKeys from "../../../src/gateway/auth/ApiKeys.js"
import * as Gateway from "../../../src/gateway/Gateway.js"
import type { Scope as KeyScope } from "../../../src/gateway/scopes.js"
import { ModelPort } from "../../../src/model/ModelPort.js"
import type { OrchestratorShape } from "../../../src/orchestrator/Orchestrator.js"
import * as OrchestratorService from "../../../src/orchestrator/service.js"
import * as Policy from "../../../src/policy/index.js"
import * as Secrets from "../../../src/secrets/index.js"
import { ApprovalStore, type ApprovalStoreShape } from "../../../src/storage/ApprovalStore.js"
import { KeyValue, type KeyValueShape } from "../../../src/storage/KeyValue.js"
import { RunStore, type RunStoreShape } from "../../../src/storage/RunStore.js"
import * as ScriptedModel from "../../../src/testing/ScriptedModel.js"
import { defineTool } from "../../../src/tools/ToolDefinition.js"
import { makeToolRegistry } from "../../../src/tools/ToolRegistry.js"
import * as ToolRuntime from "../../../src/tools/ToolRuntime.js"
import { ToolRuntime as ToolRuntimeTag } from "../../../src/tools/ToolRuntime.js"

/** The policy of the gateway tests: refunds need approval, approvers resolve, lookups are allowed. */
export const gatewayTestPolicy = {
  version: 1,
  deployment: {
    rules: [
      {
        id: "lookups",
        effect: "allow",
        rationale: "Reading customer records is part of support work",
        actions: "tool.invoke",
        resource: { names: "customer_lookup" }
      },
      {
        id: "refunds-need-a-human",
        effect: "require_approval",
        rationale: "Money leaves the business only with a human's approval",
        actions: "tool.invoke",
        resource: { names: "refund_issue" }
      },
      {
        id: "approvers-resolve",
        effect: "allow",
        rationale: "Approvers decide on approvals",
        actions: "approval.resolve",
        subject: { roles: "approver" }
      }
    ]
  }
}

/** A refund tool (approval required by policy) and a lookup tool (allowed). */
export const testTools = [
  defineTool({
    name: "refund_issue",
    description: "Issue a refund",
    parameters: {
      type: "object",
      properties: { customerId: { type: "string" }, amount: { type: "number" } },
      required: ["customerId", "amount"],
      additionalProperties: false
    },
    handler: (args: { customerId: string; amount: number }) => ({
      refunded: args.amount,
      customerId: args.customerId
    })
  }),
  defineTool({
    name: "customer_lookup",
    description: "Find a customer",
    parameters: {
      type: "object",
      properties: { customerId: { type: "string" } },
      required: ["customerId"],
      additionalProperties: false
    },
    idempotent: true,
    handler: (args: { customerId: string }) => ({ customerId: args.customerId, plan: "gold" })
  })
]

/**
 * The scripted agent: a request mentioning "refund" calls `refund_issue`, one mentioning
 * "lookup" calls `customer_lookup`; after a tool result (or for anything else) it answers.
 */
export const scriptedAgent = ScriptedModel.make((request) => {
  const last = request.messages.at(-1)
  if (last?.role === "tool") return { text: `Done: ${JSON.stringify(last.result)}` }
  const text = last?.role === "user" ? last.text : ""
  if (text.includes("refund"))
    return { toolCalls: [{ name: "refund_issue", args: { customerId: "C-1042", amount: 120 } }] }
  if (text.includes("lookup"))
    return { toolCalls: [{ name: "customer_lookup", args: { customerId: "C-1042" } }] }
  return { text: `You said: ${text}` }
})

export const pepper = Redacted.make("test-pepper-0123456789abcdef0123456789abcdef")

export interface TestGateway {
  readonly gateway: Gateway.GatewayShape
  readonly keys: ApiKeys.ApiKeysShape
  readonly orchestrator: OrchestratorShape
  readonly audit: AuditLogShape
  readonly runs: RunStoreShape
  readonly approvals: ApprovalStoreShape
  readonly kv: KeyValueShape
  /** Stops the orchestrator's workers. */
  readonly close: () => Promise<void>
  /** Creates a key and returns its token. */
  readonly key: (
    customerInstanceId: string,
    scopes: ReadonlyArray<KeyScope>,
    actor?: Actor
  ) => Promise<string>
  /** Calls a method as a transport would. */
  readonly call: (
    method: string,
    input: unknown,
    token: string | undefined,
    options?: { readonly body?: string; readonly clientAddress?: string }
  ) => Promise<Gateway.GatewayResult>
}

export const approverActor: Actor = { kind: "user", id: "u-approver", roles: ["approver", "operator"] }

const open: Array<TestGateway> = []

/** Stops the orchestrators of every gateway made so far (call in `afterAll`). */
export const closeTestGateways = async (): Promise<void> => {
  for (const t of open.splice(0)) await t.close()
}

/** A gateway over in-memory storage, the real policy engine, tool runtime and orchestrator. */
export const makeTestGateway = async (
  options: { readonly lockout?: ApiKeys.ApiKeysOptions["lockout"]; readonly auditInstance?: string } = {}
): Promise<TestGateway> => {
  const context = await Effect.runPromise(Effect.scoped(Layer.build(StorageMemory.layer)))
  const audit = Context.get(context, AuditLog)
  const approvals = Context.get(context, ApprovalStore)
  const runs = Context.get(context, RunStore)
  const kv = Context.get(context, KeyValue)
  const config = Config.defaultConfig()
  const policy = Policy.make(
    Policy.compilePolicy(
      await Effect.runPromise(Effect.fromResult(Policy.decodePolicyDocument(gatewayTestPolicy))),
      config
    ),
    { record: () => Effect.void }
  )
  const tools = ToolRuntime.make({
    registry: makeToolRegistry(testTools),
    config,
    policy,
    audit,
    approvals,
    secrets: Secrets.makeMemory({})
  })
  const scope = await Effect.runPromise(Scope.make())
  const orchestrator = await Effect.runPromise(
    OrchestratorService.make({
      tools: makeToolRegistry(testTools),
      customerInstances: ["acme", "globex"]
    }).pipe(
      Effect.provideContext(
        Context.merge(
          context,
          Context.make(ToolRuntimeTag, tools).pipe(Context.add(ModelPort, scriptedAgent))
        )
      ),
      Scope.provide(scope)
    )
  )
  const keys = ApiKeys.make(kv, audit, {
    pepper,
    ...(options.lockout === undefined ? {} : { lockout: options.lockout })
  })
  const gateway = Gateway.make(
    { keys, orchestrator, policy, audit, approvals },
    { auditInstance: options.auditInstance ?? "gateway", version: "test" }
  )
  let requests = 0
  const made: TestGateway = {
    gateway,
    keys,
    orchestrator,
    audit,
    runs,
    approvals,
    kv,
    close: () => Effect.runPromise(Scope.close(scope, Exit.void)),
    key: async (customerInstanceId, scopes, actor = approverActor) =>
      (
        await Effect.runPromise(
          keys.create({
            customerInstanceId,
            name: `key-${scopes.join("-") || "none"}`,
            scopes,
            actor,
            createdBy: "test"
          })
        )
      ).token,
    call: (method, input, token, callOptions = {}) =>
      Effect.runPromise(
        gateway.call({
          method,
          body: callOptions.body ?? JSON.stringify(input),
          credential: token,
          clientAddress: callOptions.clientAddress ?? "127.0.0.1",
          requestId: `req-${++requests}`
        })
      )
  }
  open.push(made)
  return made
}

/** The code of a failed call, or `ok`. */
export const codeOf = (result: Gateway.GatewayResult): string =>
  result._tag === "Success" ? "ok" : result.error.code
