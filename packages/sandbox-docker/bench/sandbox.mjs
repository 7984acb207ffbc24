// pnpm bench:sandbox — exec round-trip in a warm lane and cold lane start of @bga/sandbox-docker,
// side by side with the Docker CLI running the same command (`docker run --rm`, `docker exec`).
// Build first (pnpm build); the engine and test image come from .ci/provision/docker.sh.
// BENCH_QUICK=1 runs fewer rounds (well under 30 s). The last line is one JSON object.
import { execFile } from "node:child_process"
import { performance } from "node:perf_hooks"
import { promisify } from "node:util"
import { openSandbox } from "@bga/core/sandbox"
import { DockerSandbox } from "../dist/index.js"

const run = promisify(execFile)
const quick = process.env.BENCH_QUICK === "1"
const image = process.env.BGA_SANDBOX_TEST_IMAGE ?? "bga-sandbox-test:1"
const rounds = quick ? { warm: 40, cold: 5, cli: 5 } : { warm: 300, cold: 20, cli: 20 }
const command = ["echo", "hi"]

const percentile = (samples, p) => {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}
const round = (ms) => Math.round(ms * 100) / 100
const time = async (fn) => {
  const start = performance.now()
  await fn()
  return performance.now() - start
}
const summary = (name, samples) => {
  const s = { p50: round(percentile(samples, 50)), p95: round(percentile(samples, 95)) }
  console.log(
    `${name.padEnd(34)} p50 ${String(s.p50).padStart(8)} ms   p95 ${String(s.p95).padStart(8)} ms   (n=${samples.length})`
  )
  return s
}

let sandbox
try {
  sandbox = await openSandbox(DockerSandbox.layer({ image, scope: "bench", orphans: "all-in-scope" }))
} catch (error) {
  console.error(
    `bench:sandbox needs a Docker engine and ${image} (bash .ci/provision/docker.sh): ${error.message}`
  )
  console.log(JSON.stringify({ bench: "sandbox", error: String(error.message) }))
  process.exit(1)
}

console.log(`bench:sandbox ${quick ? "(quick) " : ""}image=${image} command=${JSON.stringify(command)}`)
try {
  // Warm lane: one lane, many commands.
  const lane = await sandbox.acquire({ customerInstanceId: "bench" })
  for (let i = 0; i < 5; i++) await sandbox.exec(lane, { command })
  const warm = []
  for (let i = 0; i < rounds.warm; i++) {
    warm.push(
      await time(async () => {
        const result = await sandbox.exec(lane, { command })
        if (result.stdout !== "hi\n") throw new Error(`unexpected output ${JSON.stringify(result)}`)
      })
    )
  }

  // Cold lane: a new lane per round (create + start), then its first command.
  const coldStart = []
  const coldFirst = []
  for (let i = 0; i < rounds.cold; i++) {
    let fresh
    coldStart.push(
      await time(
        async () => (fresh = await sandbox.acquire({ customerInstanceId: "bench", runId: newRunId(i) }))
      )
    )
    coldFirst.push(coldStart.at(-1) + (await time(() => sandbox.exec(fresh, { command }))))
    await sandbox.release(fresh)
  }

  // The Docker CLI doing the same: a throw-away container, and an exec into a running one.
  const cliRun = []
  for (let i = 0; i < rounds.cli + 1; i++) {
    const ms = await time(() => run("docker", ["run", "--rm", "--network", "none", image, ...command]))
    if (i > 0) cliRun.push(ms)
  }
  const { stdout: id } = await run("docker", [
    "run",
    "-d",
    "--rm",
    "--network",
    "none",
    image,
    "sleep",
    "600"
  ])
  const cliExec = []
  try {
    for (let i = 0; i < rounds.cli + 1; i++) {
      const ms = await time(() => run("docker", ["exec", id.trim(), ...command]))
      if (i > 0) cliExec.push(ms)
    }
  } finally {
    await run("docker", ["rm", "-f", id.trim()])
  }

  const w = summary("warm lane exec (driver)", warm)
  const c = summary("cold lane start (driver)", coldStart)
  const cf = summary("cold lane start + first exec", coldFirst)
  const r = summary("docker run --rm (CLI)", cliRun)
  const e = summary("docker exec (CLI, warm container)", cliExec)
  const ratio = (a, b) => Math.round((a / b) * 100) / 100
  console.log(`docker run --rm / warm lane exec   = ${ratio(r.p50, w.p50)}x (p50)`)
  console.log(`docker run --rm / cold lane+exec   = ${ratio(r.p50, cf.p50)}x (p50)`)
  console.log(`docker exec CLI / warm lane exec   = ${ratio(e.p50, w.p50)}x (p50)`)
  console.log(
    JSON.stringify({
      bench: "sandbox",
      quick,
      command: command.join(" "),
      rounds,
      warm_exec_p50_ms: w.p50,
      warm_exec_p95_ms: w.p95,
      cold_lane_start_p50_ms: c.p50,
      cold_lane_start_p95_ms: c.p95,
      cold_lane_first_exec_p50_ms: cf.p50,
      cold_lane_first_exec_p95_ms: cf.p95,
      docker_run_cli_p50_ms: r.p50,
      docker_run_cli_p95_ms: r.p95,
      docker_exec_cli_p50_ms: e.p50,
      docker_exec_cli_p95_ms: e.p95,
      ratio_docker_run_vs_warm_exec_p50: ratio(r.p50, w.p50),
      ratio_docker_run_vs_cold_lane_first_exec_p50: ratio(r.p50, cf.p50),
      ratio_docker_exec_cli_vs_warm_exec_p50: ratio(e.p50, w.p50)
    })
  )
} finally {
  await sandbox.close()
}

function newRunId(i) {
  // A valid UUIDv7 per round, so every cold round gets its own lane.
  const hex = (Date.now().toString(16).padStart(12, "0") + i.toString(16).padStart(4, "0")).slice(-16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-8000-${"0".repeat(12)}`
}
