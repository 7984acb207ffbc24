// pnpm bench:gateway — runs.create through the full gateway stack (HTTP, API key check with
// lockouts, strict decoding, the orchestrator's idempotency check, the run and its first audit
// record persisted to SQLite, the run queued) against a bare node:http handler answering a fixed
// JSON body, on the same machine in the same run. The load comes from a separate process
// (autocannon, loopback), the same way for every target.
//
// Two views of runs.create: "accepted" holds the accepted runs in the lane queue (one slot,
// its model step parked), so the figures are the create path the caller waits for; "executed"
// lets every run execute in the background (a scripted model step, state changes, checkpoints,
// audit records), the cost of a run's whole life under sustained load.
// BENCH_QUICK=1 finishes in under 30 s. The last line is one JSON object.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Gateway } from "@bga/core"
import * as ScriptedModel from "@bga/core/testing/scripted-model"
import { Result } from "effect"
import { startGatewayHost } from "../dist/host.js"
import { makeLogger } from "../dist/logger.js"

const quick = process.env.BENCH_QUICK === "1"
const seconds = quick ? 3 : 15
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

const fullStack = async (sqliteSynchronous, mode) => {
  const dir = mkdtempSync(join(tmpdir(), "bga-bench-gw-"))
  const decoded = Gateway.decodeGatewayConfig({
    storage: { kind: "sqlite", path: join(dir, "bga.sqlite") },
    gateway: { port: 0, dataDir: dir, sqliteSynchronous, log: { level: "warn" } }
  })
  if (Result.isFailure(decoded)) throw decoded.failure
  const accepted = mode === "accepted"
  const host = await startGatewayHost({
    config: decoded.success.config,
    settings: decoded.success.gateway,
    // "accepted": the one running run's model step waits (until shutdown aborts it), the rest queue.
    model: ScriptedModel.make(() => (accepted ? { text: "done", delayMs: 3_600_000 } : { text: "done" })),
    orchestratorOptions: {
      customerInstances: ["bench"],
      ...(accepted
        ? {
            lanes: {
              globalConcurrency: 1,
              instanceConcurrency: 1,
              globalQueueLimit: 10_000_000,
              instanceQueueLimit: 10_000_000
            }
          }
        : {})
    },
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
  acceptedFull: await fullStack("FULL", "accepted"),
  acceptedNormal: await fullStack("NORMAL", "accepted"),
  executedFull: await fullStack("FULL", "executed"),
  executedNormal: await fullStack("NORMAL", "executed")
}
const row = (name, r) =>
  `${name.padEnd(52)} ${String(r.rps).padStart(9)} req/s   p50 ${String(r.p50Ms).padStart(7)} ms   p95 ${String(r.p95Ms).padStart(7)} ms   non-2xx ${r.non2xx}   errors ${r.errors}`
const ratio = (r) => Math.round((r.rps / results.bare.rps) * 1000) / 1000
console.log(
  `runs.create, ${connections} connections, ${seconds} s each after ${warmupSeconds} s warm-up (load from a separate process, loopback)`
)
console.log(row("bare node:http, fixed JSON body", results.bare))
console.log(row("gateway, runs accepted, SQLite synchronous=FULL", results.acceptedFull))
console.log(row("gateway, runs accepted, SQLite synchronous=NORMAL", results.acceptedNormal))
console.log(row("gateway, runs executed, SQLite synchronous=FULL", results.executedFull))
console.log(row("gateway, runs executed, SQLite synchronous=NORMAL", results.executedNormal))
console.log(
  `ratio vs bare node:http (target >= 0.3): accepted FULL ${ratio(results.acceptedFull)}, NORMAL ${ratio(results.acceptedNormal)}; executed FULL ${ratio(results.executedFull)}, NORMAL ${ratio(results.executedNormal)}`
)
const gatewayRuns = [
  results.acceptedFull,
  results.acceptedNormal,
  results.executedFull,
  results.executedNormal
]
console.log(
  JSON.stringify({
    bench: "gateway",
    quick,
    seconds,
    connections,
    bare_node_http_rps: results.bare.rps,
    bare_node_http_p95_ms: results.bare.p95Ms,
    runs_create_accepted_sqlite_full_rps: results.acceptedFull.rps,
    runs_create_accepted_sqlite_full_p95_ms: results.acceptedFull.p95Ms,
    runs_create_accepted_sqlite_normal_rps: results.acceptedNormal.rps,
    runs_create_accepted_sqlite_normal_p95_ms: results.acceptedNormal.p95Ms,
    runs_create_executed_sqlite_full_rps: results.executedFull.rps,
    runs_create_executed_sqlite_full_p95_ms: results.executedFull.p95Ms,
    runs_create_executed_sqlite_normal_rps: results.executedNormal.rps,
    runs_create_executed_sqlite_normal_p95_ms: results.executedNormal.p95Ms,
    ratio_runs_create_accepted_sqlite_full_vs_bare_node_http: ratio(results.acceptedFull),
    ratio_runs_create_accepted_sqlite_normal_vs_bare_node_http: ratio(results.acceptedNormal),
    ratio_runs_create_executed_sqlite_full_vs_bare_node_http: ratio(results.executedFull),
    ratio_runs_create_executed_sqlite_normal_vs_bare_node_http: ratio(results.executedNormal),
    non2xx: gatewayRuns.reduce((n, r) => n + r.non2xx, 0),
    errors: gatewayRuns.reduce((n, r) => n + r.errors, 0),
    wall_seconds: Math.round((Date.now() - started) / 100) / 10
  })
)
