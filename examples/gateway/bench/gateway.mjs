// pnpm bench:gateway — runs.create through the full gateway stack (HTTP, API key check with
// lockouts, strict decoding, the orchestrator's idempotency check and a durable insert into
// SQLite, the run then executed by the scripted model in the background) against a bare
// node:http handler answering a fixed JSON body, on the same machine in the same run. The load
// comes from a separate process (autocannon, loopback), the same way for both.
// BENCH_QUICK=1 finishes in under 30 s. The last line is one JSON object.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Gateway } from "@bga/core"
import { ScriptedModel } from "@bga/core/testing"
import { Result } from "effect"
import { startGatewayHost } from "../dist/host.js"
import { makeLogger } from "../dist/logger.js"

const quick = process.env.BENCH_QUICK === "1"
const seconds = quick ? 4 : 15
const warmupSeconds = quick ? 1 : 3
const connections = 16
const child = fileURLToPath(new URL("./drive-child.mjs", import.meta.url))

const load = (url, headers = {}) =>
  new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [child, JSON.stringify({ url, headers, seconds, warmupSeconds, connections, bodyKind: "runsCreate" })],
      {
        stdio: ["ignore", "pipe", "inherit"]
      }
    )
    let out = ""
    proc.stdout.on("data", (chunk) => {
      out += chunk
    })
    proc.on("error", reject)
    proc.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split("\n").at(-1)))
        : reject(new Error(`load driver exited ${code}`))
    )
  })

const bare = async () => {
  const body = JSON.stringify({
    run: { run: { runId: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", state: "QUEUED" } },
    created: true
  })
  const server = createServer((request, response) => {
    request.resume()
    request.on("end", () => {
      response.writeHead(200, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body)
      })
      response.end(body)
    })
  })
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
  try {
    return await load(`http://127.0.0.1:${server.address().port}/api/v1/runs.create`)
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
}

const fullStack = async (sqliteSynchronous) => {
  const dir = mkdtempSync(join(tmpdir(), "bga-bench-gw-"))
  const decoded = Gateway.decodeGatewayConfig({
    storage: { kind: "sqlite", path: join(dir, "bga.sqlite") },
    gateway: { port: 0, dataDir: dir, sqliteSynchronous, log: { level: "warn" } }
  })
  if (Result.isFailure(decoded)) throw decoded.failure
  const host = await startGatewayHost({
    config: decoded.success.config,
    settings: decoded.success.gateway,
    model: ScriptedModel.make(() => ({ text: "done" })),
    orchestratorOptions: { customerInstances: ["bench"] },
    logger: makeLogger("warn")
  })
  try {
    const { token } = await host.run(
      host.keys.create({ customerInstanceId: "bench", name: "bench", scopes: ["runs:write"] })
    )
    return await load(`${host.url}/api/v1/runs.create`, { authorization: `Bearer ${token}` })
  } finally {
    await host.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const started = Date.now()
const results = {
  bare: await bare(),
  full: await fullStack("FULL"),
  normal: await fullStack("NORMAL")
}
const row = (name, r) =>
  `${name.padEnd(44)} ${String(r.rps).padStart(9)} req/s   p50 ${String(r.p50Ms).padStart(7)} ms   p95 ${String(r.p95Ms).padStart(7)} ms   non-2xx ${r.non2xx}   errors ${r.errors}`
console.log(
  `runs.create, ${connections} connections, ${seconds} s each after ${warmupSeconds} s warm-up (load from a separate process, loopback)`
)
console.log(row("bare node:http, fixed JSON body", results.bare))
console.log(row("gateway runs.create, SQLite synchronous=FULL", results.full))
console.log(row("gateway runs.create, SQLite synchronous=NORMAL", results.normal))
const ratio = (a, b) => Math.round((a / b) * 1000) / 1000
console.log(
  `ratio vs bare node:http: FULL ${ratio(results.full.rps, results.bare.rps)}, NORMAL ${ratio(results.normal.rps, results.bare.rps)} (target >= 0.3)`
)
console.log(
  JSON.stringify({
    bench: "gateway",
    quick,
    seconds,
    connections,
    bare_node_http_rps: results.bare.rps,
    bare_node_http_p95_ms: results.bare.p95Ms,
    runs_create_sqlite_full_rps: results.full.rps,
    runs_create_sqlite_full_p95_ms: results.full.p95Ms,
    runs_create_sqlite_normal_rps: results.normal.rps,
    runs_create_sqlite_normal_p95_ms: results.normal.p95Ms,
    ratio_runs_create_sqlite_full_vs_bare_node_http: ratio(results.full.rps, results.bare.rps),
    ratio_runs_create_sqlite_normal_vs_bare_node_http: ratio(results.normal.rps, results.bare.rps),
    non2xx: results.full.non2xx + results.normal.non2xx,
    errors: results.full.errors + results.normal.errors,
    wall_seconds: Math.round((Date.now() - started) / 100) / 10
  })
)
