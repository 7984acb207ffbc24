import { createConnection } from "node:net"
import { afterAll, describe, expect, it } from "vitest"
import { api, cleanup, createKey, startTestHost, tempDir } from "./support.js"

/**
 * The gateway on PostgreSQL, chosen by configuration (`storage.kind: "postgres"`, the URL a
 * secret reference). Skips with its reason when no server answers, and fails instead when
 * BGA_TEST_REQUIRE is set.
 */
const pgUrl = process.env.BGA_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
const target = new URL(pgUrl)
const reachable = await new Promise<string | undefined>((resolve) => {
  const socket = createConnection({ host: target.hostname, port: Number(target.port || 5432) })
  socket.setTimeout(3000)
  socket.once("connect", () => {
    socket.destroy()
    resolve(undefined)
  })
  socket.once("timeout", () => {
    socket.destroy()
    resolve("timed out")
  })
  socket.once("error", (error) => resolve(error.message))
})
if (reachable !== undefined && process.env.BGA_TEST_REQUIRE) {
  throw new Error(
    `PostgreSQL is required (BGA_TEST_REQUIRE is set) but ${target.host} is not reachable: ${reachable}`
  )
}
const skipReason =
  reachable === undefined
    ? ""
    : ` (skipped: PostgreSQL not reachable at ${target.host}: ${reachable}; set BGA_TEST_PG_URL)`

afterAll(cleanup)

describe.skipIf(reachable !== undefined)(`the gateway on PostgreSQL${skipReason}`, () => {
  it("serves runs and keys from PostgreSQL, and keeps them across a restart", async () => {
    const dataDir = tempDir("pg")
    const instance = `pg-${process.pid}-${Date.now().toString(36)}`
    // The URL is a secret reference, resolved from the environment as in production.
    process.env.BGA_GATEWAY_TEST_PG = pgUrl
    const options = { dataDir, storage: { kind: "postgres" as const, url: { $env: "BGA_GATEWAY_TEST_PG" } } }
    const first = await startTestHost(options)
    let token: string
    let runId: string
    try {
      token = await createKey(first.host, instance, ["runs:write", "runs:read", "audit:read"])
      const created = await api(first.host, "runs.create", { input: { text: "lookup C-1042" } }, token)
      expect(created.status).toBe(200)
      runId = (created.body as unknown as { run: { run: { runId: string } } }).run.run.runId
      await first.host.run(first.host.orchestrator.awaitIdle)
    } finally {
      await first.host.stop()
    }
    const second = await startTestHost(options)
    try {
      const got = await api(second.host, "runs.get", { runId }, token)
      expect((got.body as unknown as { run: { state: string } }).run.state).toBe("COMPLETED")
      const verified = await api(second.host, "audit.verify", {}, token)
      expect(verified.body).toMatchObject({ ok: true })
    } finally {
      await second.host.stop()
    }
  })
})
