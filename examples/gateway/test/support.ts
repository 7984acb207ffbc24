import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Writable } from "node:stream"
import { Audit, Gateway, Model, Orchestrator, Storage, Tools } from "@bga/core"
import { Effect, Layer, Result } from "effect"
import {
  gatewayTestPolicy,
  scriptedAgent,
  testTools
} from "../../../packages/core/test/gateway/support/harness.js"
import { makeTestOrchestrator } from "../../../packages/core/test/gateway/support/testOrchestrator.js"
import { type GatewayHost, type OrchestratorLayer, startGatewayHost } from "../src/host.js"
import { makeLogger } from "../src/logger.js"

export { gatewayTestPolicy, scriptedAgent, testTools }

/**
 * The stand-in orchestrator of the gateway tests as a host layer (see testOrchestrator.ts);
 * `delayCreateMs` makes runs.create slow, for timeout and drain tests.
 */
export const testOrchestratorLayer = (options: { readonly delayCreateMs?: number } = {}): OrchestratorLayer =>
  Layer.effect(
    Orchestrator.Orchestrator,
    Effect.gen(function* () {
      const shape = makeTestOrchestrator({
        runs: yield* Effect.service(Storage.RunStore),
        tools: yield* Effect.service(Tools.ToolRuntime),
        model: yield* Effect.service(Model.ModelPort),
        audit: yield* Effect.service(Audit.AuditLog),
        makeError: (fields) => new Orchestrator.OrchestratorError(fields)
      }) as unknown as Orchestrator.OrchestratorShape
      const delay = options.delayCreateMs
      return delay === undefined
        ? shape
        : { ...shape, create: (request) => Effect.flatMap(Effect.sleep(delay), () => shape.create(request)) }
    })
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
    model: scriptedAgent,
    tools: testTools as unknown as ReadonlyArray<Tools.ToolDefinition>,
    policyDocument: gatewayTestPolicy,
    orchestrator: options.orchestrator ?? testOrchestratorLayer(),
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
