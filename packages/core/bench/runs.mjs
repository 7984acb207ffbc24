// `pnpm bench:runs`: the run orchestrator against @openai/agents on the same agent, side by side
// in one process. Each run: a scripted model asks for one tool call, the tool answers, the model
// gives its final answer. 1,000 runs are started at once (10 customer instances x 100) and
// timed to the last one ending.
//
//   bga     createOrchestrator over in-memory storage: every run persisted (create, lease,
//           transitions, checkpoints), every event and the tool call's policy decision and
//           invocation appended to the hash-chained audit log, lanes and budgets enforced.
//   openai  @openai/agents Runner + Agent with a custom Model replaying the same script and a
//           FunctionTool (zod parameters), tracing disabled: nothing persisted, no policy.
//
// Figures: runs per second (runs / wall time), and start latency: for BGA create -> RUNNING (the
// run.state_changed event); for the Agents SDK, run() -> the first model call (it has no queue
// or state, so that is the nearest point). Rounds alternate and the median round is reported,
// so load from another process distorts one round, not the result. BENCH_QUICK=1 runs fewer
// rounds. The last line of output is one JSON object.
import { performance } from "node:perf_hooks"
import { StorageMemory } from "@bga/storage-memory"
import { Agent, Runner, setTracingDisabled, tool, Usage } from "@openai/agents"
import { Schema } from "effect"
import { z } from "zod"
import { createOrchestrator } from "../dist/orchestrator/promise.js"
import { make as scripted } from "../dist/testing/ScriptedModel.js"
import { defineTool } from "../dist/tools/index.js"

const quick = process.env.BENCH_QUICK === "1"
const runsPerRound = 1000
const instances = 10
const rounds = quick ? 3 : 7
const lookupResult = (email) => ({ email, plan: "gold", seats: 12 })

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const round2 = (x) => Math.round(x * 100) / 100

const fail = (message) => {
  console.error(`FAIL: ${message}`)
  process.exit(1)
}

// ---- BGA ----------------------------------------------------------------------------------
const makeBga = async (onRunning, onFirstModelCall) => {
  const lookup = defineTool({
    name: "lookup",
    description: "Look up a customer's plan",
    parameters: Schema.Struct({ email: Schema.String }),
    idempotent: true,
    handler: ({ email }) => lookupResult(email)
  })
  const model = scripted((request) => {
    const last = request.messages.at(-1)
    if (last?.role === "user") onFirstModelCall(last.text)
    return last?.role === "tool"
      ? {
          text: `The customer is on the ${last.result.plan} plan.`,
          usage: { inputTokens: 60, outputTokens: 12 }
        }
      : {
          toolCalls: [{ name: "lookup", args: { email: "a@example.com" } }],
          usage: { inputTokens: 40, outputTokens: 10 }
        }
  })
  return createOrchestrator({
    storage: StorageMemory.layer,
    model,
    tools: [lookup],
    policy: {
      version: 1,
      deployment: {
        rules: [
          {
            id: "lookup",
            effect: "allow",
            rationale: "bench",
            actions: "tool.invoke",
            resource: { names: "lookup" }
          }
        ]
      }
    },
    lanes: {
      globalConcurrency: runsPerRound,
      instanceConcurrency: runsPerRound,
      globalQueueLimit: 100_000,
      instanceQueueLimit: 100_000
    },
    budgets: { run: { maxSteps: 5, maxTotalTokens: 10_000 } },
    toolLimits: { maxToolCallsPerRun: 10 },
    recoverOnStart: false,
    onEvent: (event) => {
      if (event.type === "run.state_changed" && event.payload.to === "RUNNING") onRunning(event.runId)
    }
  })
}

const bgaRound = async () => {
  const started = new Map()
  const running = new Map()
  const firstCall = new Map()
  const bga = await makeBga(
    (runId) => {
      if (!running.has(runId)) running.set(runId, performance.now())
    },
    (text) => {
      if (!firstCall.has(text)) firstCall.set(text, performance.now())
    }
  )
  const requests = Array.from({ length: runsPerRound }, (_, i) => ({
    version: 2,
    customerInstanceId: `tenant-${i % instances}`,
    environment: "production",
    actor: { kind: "user", id: `u-${i}`, roles: ["operator"] },
    input: { text: `Which plan is a@example.com on? (#${i})` }
  }))
  const createdAt = new Map()
  const t0 = performance.now()
  const created = await Promise.all(
    requests.map(async (request) => {
      const at = performance.now()
      createdAt.set(request.input.text, at)
      const { run } = await bga.create(request)
      started.set(run.run.runId, at)
      return run.run
    })
  )
  await bga.awaitIdle()
  const wall = performance.now() - t0
  // Every run must have done the same work: completed, two steps, one tool call.
  for (const run of created.slice(0, 50)) {
    const view = await bga.get(run.customerInstanceId, run.runId)
    if (view.run.state !== "COMPLETED" || view.usage.toolCalls !== 1 || view.usage.steps !== 2)
      fail(`bga run ended ${view.run.state} with ${JSON.stringify(view.usage)}`)
  }
  const audit = await bga.audit.verify("tenant-0")
  if (!audit.ok) fail("bga audit chain does not verify")
  const latencies = created.map((r) => running.get(r.runId) - started.get(r.runId)).sort((a, b) => a - b)
  if (latencies.some((l) => !Number.isFinite(l))) fail("a bga run never reached RUNNING")
  const toModel = [...createdAt].map(([text, at]) => firstCall.get(text) - at).sort((a, b) => a - b)
  if (toModel.some((l) => !Number.isFinite(l))) fail("a bga run never called its model")
  await bga.close()
  return { wall, latencies, toModel, auditRecordsPerInstance: audit.checked }
}

// ---- @openai/agents ---------------------------------------------------------------------
setTracingDisabled(true)

/** The same script as BGA's: call the tool unless its result is there, then answer. */
class ScriptModel {
  constructor(onFirstCall) {
    this.onFirstCall = onFirstCall
  }
  async getResponse(request) {
    const input = Array.isArray(request.input) ? request.input : []
    const result = input.find((item) => item.type === "function_call_result")
    if (result === undefined) {
      this.onFirstCall(request)
      return {
        usage: new Usage({ requests: 1, inputTokens: 40, outputTokens: 10, totalTokens: 50 }),
        output: [
          {
            type: "function_call",
            callId: `call_${Math.random().toString(36).slice(2)}`,
            name: "lookup",
            arguments: JSON.stringify({ email: "a@example.com" }),
            status: "completed"
          }
        ]
      }
    }
    const output = typeof result.output === "string" ? result.output : (result.output?.text ?? "")
    const plan = JSON.parse(output).plan
    return {
      usage: new Usage({ requests: 1, inputTokens: 60, outputTokens: 12, totalTokens: 72 }),
      output: [
        {
          type: "message",
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: `The customer is on the ${plan} plan.` }]
        }
      ]
    }
  }
  // biome-ignore lint/correctness/useYield: the benchmark never streams
  async *getStreamedResponse() {
    throw new Error("not streamed")
  }
}

const openaiRound = async () => {
  const firstCall = new Map()
  const lookup = tool({
    name: "lookup",
    description: "Look up a customer's plan",
    parameters: z.object({ email: z.string() }),
    execute: async ({ email }) => lookupResult(email)
  })
  const model = new ScriptModel((request) => {
    const id = request.__benchRun
    if (id !== undefined && !firstCall.has(id)) firstCall.set(id, performance.now())
  })
  const runner = new Runner({ tracingDisabled: true })
  const started = []
  const t0 = performance.now()
  const results = await Promise.all(
    Array.from({ length: runsPerRound }, async (_, i) => {
      // One agent per run, as a per-run handler would build it; the model tags its calls.
      const tagged = {
        getResponse: (req) => model.getResponse({ ...req, __benchRun: i }),
        getStreamedResponse: () => model.getStreamedResponse()
      }
      const agent = new Agent({
        name: "support",
        instructions: "Answer plan questions.",
        model: tagged,
        tools: [lookup]
      })
      started[i] = performance.now()
      return runner.run(agent, "Which plan is a@example.com on?", { maxTurns: 5 })
    })
  )
  const wall = performance.now() - t0
  for (const result of results.slice(0, 50)) {
    if (result.finalOutput !== "The customer is on the gold plan.")
      fail(`agents run answered ${result.finalOutput}`)
  }
  const latencies = started.map((at, i) => firstCall.get(i) - at).sort((a, b) => a - b)
  if (latencies.some((l) => !Number.isFinite(l))) fail("an agents run never called its model")
  return { wall, latencies }
}

// ---- rounds -------------------------------------------------------------------------------
const summarize = (samples) => {
  const wall = median(samples.map((s) => s.wall))
  return {
    runs_per_s: Math.round((runsPerRound / wall) * 1000),
    wall_ms: Math.round(wall),
    p50_start_ms: round2(median(samples.map((s) => percentile(s.latencies, 50)))),
    p95_start_ms: round2(median(samples.map((s) => percentile(s.latencies, 95))))
  }
}

// Warm up both (JIT, module caches) before timing.
await bgaRound()
await openaiRound()
const bgaSamples = []
const openaiSamples = []
for (let r = 0; r < rounds; r++) {
  if (r % 2 === 0) {
    bgaSamples.push(await bgaRound())
    openaiSamples.push(await openaiRound())
  } else {
    openaiSamples.push(await openaiRound())
    bgaSamples.push(await bgaRound())
  }
}
const bga = {
  ...summarize(bgaSamples),
  p50_first_model_call_ms: round2(median(bgaSamples.map((s) => percentile(s.toModel, 50))))
}
const openai = summarize(openaiSamples)
const ratio = round2(bga.runs_per_s / openai.runs_per_s)

console.log(
  `runs: ${runsPerRound} concurrent (${instances} customer instances), one tool call each, median of ${rounds} rounds`
)
console.log(
  `bga (persisted, policy, audited): ${bga.runs_per_s} runs/s, start (create -> RUNNING) p50 ${bga.p50_start_ms} ms, p95 ${bga.p95_start_ms} ms (create -> first model call p50 ${bga.p50_first_model_call_ms} ms); ${bgaSamples[0].auditRecordsPerInstance} audit records per instance per round`
)
console.log(
  `@openai/agents (in memory, no policy): ${openai.runs_per_s} runs/s, start (run() -> first model call) p50 ${openai.p50_start_ms} ms, p95 ${openai.p95_start_ms} ms`
)
console.log(`throughput ratio bga / @openai/agents: ${ratio}x`)
console.log(
  JSON.stringify({
    bench: "runs",
    concurrent_runs: runsPerRound,
    customer_instances: instances,
    rounds,
    bga_runs_per_s: bga.runs_per_s,
    bga_p50_start_ms: bga.p50_start_ms,
    bga_p95_start_ms: bga.p95_start_ms,
    bga_p50_create_to_first_model_call_ms: bga.p50_first_model_call_ms,
    openai_agents_runs_per_s: openai.runs_per_s,
    openai_agents_p50_run_to_first_model_call_ms: openai.p50_start_ms,
    openai_agents_p95_run_to_first_model_call_ms: openai.p95_start_ms,
    ratio_runs_per_s_vs_openai_agents: ratio
  })
)
