import { rmSync } from "node:fs"
import { join, resolve } from "node:path"
import { Gateway, newId } from "@bga/core"
import { Effect, Result } from "effect"
import { type GatewayHost, type OrchestratorLayer, startGatewayHost } from "../host.js"
import { makeLogger } from "../logger.js"
import { demoAgent } from "./agent.js"
import { demoPolicy } from "./policy.js"
import { makeDemoTools } from "./tools.js"

/** The customer instance of the demo. */
export const demoInstance = "demo"

/** What a running demo offers. */
export interface Demo {
  readonly host: GatewayHost
  readonly token: string
  readonly adminUrl: string
  readonly seededRunId: string
  /** Checks that the gateway serves and the seeded run waits for approval (for `--once`). */
  readonly check: () => Promise<boolean>
}

const isAddressInUse = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code === "EADDRINUSE"

/**
 * Starts the demo: a fresh SQLite store in `dir` (removed first unless `keep`), the gateway on
 * 127.0.0.1 (the next free port after `port` if it is taken), a one-time admin key valid for a
 * day, and a seeded run that waits for an approval.
 */
export const runDemo = async (options: {
  readonly port: number
  readonly dir: string
  readonly keep?: boolean
  readonly out: (line: string) => void
  readonly orchestrator?: OrchestratorLayer
}): Promise<Demo> => {
  const dir = resolve(options.dir)
  if (!options.keep) rmSync(dir, { recursive: true, force: true })
  const decoded = Gateway.decodeGatewayConfig({
    storage: { kind: "sqlite", path: join(dir, "bga.sqlite") },
    gateway: {
      host: "127.0.0.1",
      port: options.port,
      dataDir: dir,
      auditInstance: "gateway",
      log: { level: "warn" }
    }
  })
  if (Result.isFailure(decoded)) throw decoded.failure
  let host: GatewayHost | undefined
  for (let attempt = 0; attempt < 20 && host === undefined; attempt++) {
    const port = options.port === 0 ? 0 : options.port + attempt
    try {
      host = await startGatewayHost({
        config: decoded.success.config,
        settings: { ...decoded.success.gateway, port },
        model: demoAgent,
        tools: makeDemoTools(),
        policyDocument: demoPolicy,
        orchestratorOptions: {
          customerInstances: [demoInstance],
          system:
            "You are a support agent of Acme. Look customers up before acting; refunds need a human's approval."
        },
        ...(options.orchestrator === undefined ? {} : { orchestrator: options.orchestrator }),
        logger: makeLogger("warn")
      })
    } catch (error) {
      if (!isAddressInUse(error) || options.port === 0) throw error
    }
  }
  if (host === undefined) throw new Error(`no free port from ${options.port} to ${options.port + 19}`)
  const running = host

  const created = await running.run(
    running.keys.create({
      customerInstanceId: demoInstance,
      name: "demo operator",
      scopes: ["admin"],
      actor: {
        kind: "user",
        id: "demo-operator",
        displayName: "Demo operator",
        roles: ["operator", "approver"]
      },
      createdBy: "npm run demo",
      expiresAt: new Date(Date.now() + 86_400_000).toISOString()
    })
  )
  // The seeded run goes through the gateway like any caller's: key, scope, decode, orchestrator.
  const seeded = await Effect.runPromise(
    running.gateway.call({
      method: "runs.create",
      body: JSON.stringify({
        input: { text: "Customer C-1042 was charged twice for order 7. Please refund 120 EUR." },
        idempotencyKey: "demo-seed"
      }),
      credential: created.token,
      clientAddress: "127.0.0.1",
      requestId: newId()
    })
  )
  if (seeded._tag === "Failure") throw new Error(`the demo run could not be started: ${seeded.error.message}`)
  const seededRunId = (seeded.value as { run: { run: { runId: string } } }).run.run.runId
  await running.run(running.orchestrator.awaitIdle)

  const adminUrl = `${running.url}/admin/`
  const out = options.out
  out("")
  out("  BGA gateway demo")
  out("")
  out(`  Admin UI   ${adminUrl}`)
  out(`  API key    ${created.token}`)
  out("             (shown once, valid for 24 hours; paste it on the sign-in page)")
  out(`  OpenAPI    ${running.url}/api/v1/openapi.json`)
  out(`  Data       ${dir} (SQLite)`)
  out("")
  out("  A refund run waits for your approval: sign in, open Approvals, approve or deny,")
  out("  then watch the run finish and verify the audit chain under Audit log.")
  out("")
  out("  Press Ctrl-C to stop.")
  out("")

  const check = async () => {
    const ready = await fetch(`${running.url}/readyz`)
    const page = await fetch(adminUrl)
    const run = await fetch(`${running.url}/api/v1/runs.get`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${created.token}` },
      body: JSON.stringify({ runId: seededRunId })
    })
    const view = (await run.json()) as { run?: { state?: string } }
    return ready.status === 200 && page.status === 200 && view.run?.state === "WAITING_APPROVAL"
  }
  return { host: running, token: created.token, adminUrl, seededRunId, check }
}
