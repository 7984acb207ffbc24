import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Writable } from "node:stream"
import { Gateway, type Model, Orchestrator, Tools } from "@bga/core"
import * as ScriptedModel from "@bga/core/testing/scripted-model"
import { Effect, Layer, Result } from "effect"
import { type GatewayHost, type OrchestratorLayer, startGatewayHost } from "../src/host.js"
import { makeLogger } from "../src/logger.js"

/** The policy of the host tests: refunds need approval, approvers resolve, lookups are allowed. */
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
export const testTools: ReadonlyArray<Tools.ToolDefinition> = [
  Tools.defineTool({
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
  Tools.defineTool({
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
] as ReadonlyArray<Tools.ToolDefinition>

/** The scripted agent: "refund" calls refund_issue, "lookup" calls customer_lookup, then it answers. */
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

/**
 * The orchestrator service with a slow `runs.create` (the real one, delayed), for the timeout
 * and drain tests.
 */
export const slowCreateOrchestrator = (delayMs: number): OrchestratorLayer =>
  Layer.effect(
    Orchestrator.Orchestrator,
    Effect.map(Orchestrator.make({ customerInstances: [] }), (inner) => ({
      ...inner,
      create: (request) => Effect.flatMap(Effect.sleep(delayMs), () => inner.create(request))
    }))
  )

const temps: Array<string> = []
/** A temporary folder removed by `cleanup`. */
export const tempDir = (label = "gw"): string => {
  const dir = mkdtempSync(join(tmpdir(), `bga-${label}-`))
  temps.push(dir)
  return dir
}
export const cleanup = () => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** Log lines the host wrote, parsed. */
export interface CapturedLogs {
  readonly lines: Array<Record<string, unknown>>
}

/** Starts a host on an ephemeral loopback port with the test tools, policy and scripted agent. */
export const startTestHost = async (
  options: {
    readonly dataDir?: string
    readonly storage?:
      | Gateway.GatewayConfig["config"]["storage"]
      | { readonly kind: "postgres"; readonly url: { readonly $env: string } }
    readonly gateway?: Gateway.GatewaySettingsInput
    readonly orchestrator?: OrchestratorLayer
    readonly model?: Model.ModelPortShape
    readonly env?: Record<string, string>
  } = {}
): Promise<{ host: GatewayHost; logs: CapturedLogs; dataDir: string }> => {
  const dataDir = options.dataDir ?? tempDir()
  const decoded = Gateway.decodeGatewayConfig(
    {
      storage: options.storage ?? { kind: "sqlite", path: join(dataDir, "bga.sqlite") },
      gateway: { port: 0, dataDir, log: { level: "info" }, ...options.gateway }
    },
    { secrets: { env: { ...process.env, ...options.env }, readFile: () => "" } }
  )
  if (Result.isFailure(decoded)) throw decoded.failure
  const logs: CapturedLogs = { lines: [] }
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line.trim() !== "") logs.lines.push(JSON.parse(line))
      done()
    }
  })
  const host = await startGatewayHost({
    config: decoded.success.config,
    settings: decoded.success.gateway,
    model: options.model ?? scriptedAgent,
    tools: testTools,
    policyDocument: gatewayTestPolicy,
    orchestratorOptions: { customerInstances: ["acme"] },
    ...(options.orchestrator === undefined ? {} : { orchestrator: options.orchestrator }),
    logger: makeLogger("info", sink),
    version: "test"
  })
  return { host, logs, dataDir }
}

/** Creates a key on a running host. */
export const createKey = async (
  host: GatewayHost,
  customerInstanceId: string,
  scopes: ReadonlyArray<Gateway.Scope>,
  roles: ReadonlyArray<string> = ["approver", "operator"]
): Promise<string> =>
  (
    await host.run(
      host.keys.create({
        customerInstanceId,
        name: `test ${scopes.join(" ")}`,
        scopes,
        actor: { kind: "user", id: "u-operator", roles, displayName: "Test operator" },
        createdBy: "test"
      })
    )
  ).token

/** A parsed answer: the method's output, or an `ErrorBody`. */
export interface ApiBody {
  readonly error?: { readonly code: string; readonly message: string }
  readonly [key: string]: unknown
}

/** Calls a method over HTTP and returns status, headers and parsed body. */
export const api = async (
  host: GatewayHost,
  method: string,
  input: unknown,
  token?: string,
  init: { readonly body?: string; readonly headers?: Record<string, string>; readonly verb?: string } = {}
) => {
  const response = await fetch(`${host.url}/api/v1/${method}`, {
    method: init.verb ?? "POST",
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...init.headers
    },
    ...(init.verb === "GET" ? {} : { body: init.body ?? JSON.stringify(input) })
  })
  const text = await response.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = text
  }
  return { status: response.status, headers: response.headers, body: body as ApiBody }
}
