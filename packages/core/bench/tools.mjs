// `pnpm bench:tools`: the cost of one governed tool call. The same tool (a zod schema and one
// handler) is called with the same arguments along four paths, side by side in one process:
//
//   direct_zod_hash       zod parse + hashOf(args) (sha256 of RFC 8785 JSON) + handler: the
//                         least any governed call must do, with no policy and no audit
//   bga_invoke            ToolRuntime.invoke: limits, validation, a policy decision by the real
//                         engine, the decision appended to the hash-chained in-memory audit log
//                         before the handler runs, secrets from the in-memory provider, timeout
//                         and cancellation, scrubbing, output cap, the invocation record after
//   bga_invoke_from_text  the model's argument text read with Model.parseToolCallArgs, then
//                         bga_invoke: what the agent loop does with a model's tool call
//   openai_agents_function_tool
//                         @openai/agents-core `tool({ parameters: zod, execute })`, called with
//                         the argument text through `invokeFunctionTool`, as its runner does
//                         (JSON parse and zod validation, errors turned into tool output; no
//                         timeout, its default, where BGA always arms one); no policy, no audit
//
// Paths are timed in alternating rounds (order rotated each round); each round reports its mean,
// the median round mean is the figure, and p50/p95 come from every timed call. A fresh in-memory
// store backs each BGA round so the audit chain does not grow without bound. Build first
// (`pnpm build`); BENCH_QUICK=1 finishes in well under 30 s. The last line is one JSON object.
import { performance } from "node:perf_hooks"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { invokeFunctionTool, tool as openaiTool, RunContext } from "@openai/agents-core"
import { Context, Effect, Result } from "effect"
import { z } from "zod"
import { StorageMemory } from "../../storage-memory/dist/index.js"
import { Audit, Config, hashOf, Model, newId, Policy, Secrets, Storage, Tools } from "../dist/index.js"

// A full collection before each timed round (not timed), so that each path pays for collecting
// its own garbage and not for what the path timed before it left behind.
setFlagsFromString("--expose-gc")
const collectGarbage = runInNewContext("gc")

const quick = process.env.BENCH_QUICK === "1"
const rounds = quick ? 7 : 9
const callsPerRound = quick ? 1500 : 10_000
const warmupCalls = quick ? 3000 : 15_000

const fail = (message) => {
  console.error(`FAIL: ${message}`)
  process.exit(1)
}

// --- the tool -------------------------------------------------------------------------------

const parameters = z
  .object({
    invoiceId: z.string().min(1).max(64),
    customerEmail: z.string().max(254),
    amountCents: z.number().int().nonnegative(),
    currency: z.enum(["EUR", "USD", "GBP", "CHF"]),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).max(50),
    note: z.string().max(500)
  })
  .strict()

const args = {
  invoiceId: "INV-2026-000417",
  customerEmail: "billing@northwind.example",
  amountCents: 129_900,
  currency: "EUR",
  lines: [
    { sku: "SEAT-PRO", quantity: 12 },
    { sku: "SUPPORT-GOLD", quantity: 1 }
  ],
  note: "annual renewal, PO 88-1123"
}
const argsText = JSON.stringify(args)

const secretValue = "crm-token-0123456789abcdef"
/** The handler all paths share: reads its secret, does a little work, returns a small object. */
const handler = (input, context) => ({
  invoiceId: input.invoiceId,
  status: "open",
  totalItems: input.lines.reduce((sum, line) => sum + line.quantity, 0),
  amountCents: input.amountCents,
  currency: input.currency,
  authorized: context.secrets.CRM_TOKEN === secretValue
})

// --- BGA: registry, config, real policy engine, in-memory audit and secrets ----------------

const ci = "bench"
const actor = { kind: "user", id: "u-bench", roles: ["operator"] }
const invoiceTool = Tools.defineTool({
  name: "invoice_lookup",
  description: "Look up an invoice",
  parameters,
  groups: ["group:billing"],
  idempotent: true,
  secrets: ["CRM_TOKEN"],
  handler
})
const registry = Tools.makeToolRegistry([invoiceTool])
const config = Result.getOrThrow(Config.decodeConfig({}))
const policyDocument = {
  version: 1,
  groups: ["group:billing"],
  deployment: {
    rules: [
      {
        id: "billing-tools",
        effect: "allow",
        rationale: "operators use the billing tools",
        actions: "tool.invoke",
        resource: { names: "group:billing" },
        subject: { roles: "operator" }
      },
      {
        id: "no-shell",
        effect: "deny",
        rationale: "no shell for anyone",
        actions: "tool.invoke",
        resource: { names: "shell" }
      },
      {
        id: "payments-need-approval",
        effect: "require_approval",
        rationale: "payments need a human",
        actions: "tool.invoke",
        resource: { names: "pay_invoice" }
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
const policy = Policy.make(Result.getOrThrow(Policy.makePolicy(policyDocument, { config })), {
  record: () => Effect.void
})
const secrets = Secrets.makeMemory({ [ci]: { CRM_TOKEN: secretValue } })

/** A runtime over a fresh in-memory store. */
const makeRuntime = () => {
  const storage = StorageMemory.make()
  const audit = Context.get(storage, Audit.AuditLog)
  const runtime = Tools.make({
    registry,
    config,
    policy,
    audit,
    approvals: Context.get(storage, Storage.ApprovalStore),
    secrets
  })
  return { runtime, audit }
}
// A run makes a handful of calls; the bench rotates through pre-minted run ids the same way.
const runIds = Array.from({ length: 512 }, () => newId())
const callsPerRun = 16
let callCount = 0
const nextRunId = () => runIds[Math.floor(callCount++ / callsPerRun) % runIds.length]

let current = makeRuntime()
const requestFor = (input) => ({
  customerInstanceId: ci,
  environment: "production",
  runId: nextRunId(),
  actor,
  toolName: "invoice_lookup",
  args: input
})
const expectSucceeded = (outcome) => {
  if (outcome._tag !== "Succeeded")
    fail(`the governed call ended ${outcome._tag}: ${JSON.stringify(outcome)}`)
  if (outcome.invocation.policyDecisionId !== outcome.decision.decisionId)
    fail("an invocation does not link to its decision")
  return outcome.output
}

// --- the comparison paths ----------------------------------------------------------------------

const directContext = { secrets: { CRM_TOKEN: secretValue } }
let hashSink = 0

const openaiFunctionTool = openaiTool({
  name: "invoice_lookup",
  description: "Look up an invoice",
  parameters,
  execute: (input) => handler(input, directContext)
})
const runContext = new RunContext({})
const toolCall = {
  type: "function_call",
  callId: "call_bench",
  name: "invoice_lookup",
  status: "completed",
  arguments: argsText
}

const paths = {
  direct_zod_hash: async () => {
    const parsed = parameters.parse(args)
    hashSink += hashOf(parsed).length
    return handler(parsed, directContext)
  },
  bga_invoke: async () => expectSucceeded(await Effect.runPromise(current.runtime.invoke(requestFor(args)))),
  bga_invoke_from_text: async () => {
    const call = Model.parseToolCallArgs({ id: "call_bench", name: "invoice_lookup", argsText })
    return expectSucceeded(await Effect.runPromise(current.runtime.invoke(requestFor(call.args))))
  },
  openai_agents_function_tool: () =>
    invokeFunctionTool({ tool: openaiFunctionTool, runContext, input: argsText, details: { toolCall } })
}
const names = Object.keys(paths)

// --- agreement and audit linkage first ----------------------------------------------------------

const expected = JSON.stringify(handler(parameters.parse(args), directContext))
for (const name of names) {
  const output = JSON.stringify(await paths[name]())
  if (output !== expected) fail(`${name} returned ${output}, expected ${expected}`)
}
{
  const records = (await Effect.runPromise(current.audit.list(ci, { limit: 1000 }))).items
  const decisions = new Set(records.filter((r) => r.kind === "policy_decision").map((r) => r.decisionId))
  const invocations = records.filter((r) => r.kind === "tool_invocation")
  if (invocations.length !== 2 || !invocations.every((r) => decisions.has(r.payload.policyDecisionId)))
    fail("the governed calls did not leave one linked decision and invocation each")
  const report = await Effect.runPromise(current.audit.verify(ci))
  if (!report.ok || report.checked !== 4) fail(`the audit chain does not verify: ${JSON.stringify(report)}`)
}

// --- timing ---------------------------------------------------------------------------------------

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const percentile = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]
const us = (ns) => Math.round(ns / 10) / 100
const round2 = (x) => Math.round(x * 100) / 100

/**
 * Times `count` sequential calls, each from its start to its settled result: per-call ns into
 * `samples`, returns the mean ns of the round (the loop and bookkeeping are not counted).
 */
const timeRound = async (fn, count, samples) => {
  let total = 0
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint()
    await fn()
    const ns = Number(process.hrtime.bigint() - t0)
    total += ns
    samples?.push(ns)
  }
  return total / count
}

// Warm-up: every path until the JIT has settled on it (not measured).
for (const name of names) await timeRound(paths[name], warmupCalls)

const samples = Object.fromEntries(names.map((n) => [n, []]))
const roundMeans = Object.fromEntries(names.map((n) => [n, []]))
const benchStart = performance.now()
for (let r = 0; r < rounds; r++) {
  current = makeRuntime()
  const order = names.map((_, i) => names[(i + r) % names.length])
  for (const name of order) {
    collectGarbage()
    roundMeans[name].push(await timeRound(paths[name], callsPerRound, samples[name]))
  }
}
const benchSeconds = (performance.now() - benchStart) / 1000
if (hashSink === 0) fail("no hash computed")

// --- where the governed call's time goes ----------------------------------------------------------
// The stages of one bga_invoke timed alone (p50 per call, compared with bga_invoke's p50, since
// garbage collection of the growing in-memory log lands on whichever call it interrupts),
// through public APIs, on the records of a real call.
// What the stages do not cover is the runtime itself: Effect fibers, the handler under its
// timeout and abort signal, secret lookup and scrubbing, the output cap, building the records.

const outcome = await Effect.runPromise(current.runtime.invoke(requestFor(args)))
expectSucceeded(outcome)
const policyRequest = {
  subject: { actor, customerInstanceId: ci, environment: "production" },
  action: "tool.invoke",
  resource: { kind: "tool", name: "invoice_lookup", groups: ["group:billing"] },
  context: { sandboxed: false, runId: runIds[0] }
}
if (policy.decide(policyRequest).effect !== "allow") fail("the stage request is not allowed")
const stageCalls = quick ? 4000 : 20_000
const stages = {
  new_id: () => newId(),
  hash_of_args: () => hashOf(args),
  validate_args: () => invoiceTool.parameters.validate(args),
  policy_decide: () => policy.decide(policyRequest),
  audit_append_decision: () =>
    Effect.runPromise(current.audit.appendAll(ci, [{ kind: "policy_decision", payload: outcome.decision }])),
  audit_append_invocation: () =>
    Effect.runPromise(current.audit.appendAll(ci, [{ kind: "tool_invocation", payload: outcome.invocation }]))
}
const stageUs = {}
for (const [name, fn] of Object.entries(stages)) {
  current = makeRuntime()
  await timeRound(fn, stageCalls / 4)
  collectGarbage()
  const stageSamples = []
  await timeRound(fn, stageCalls, stageSamples)
  stageUs[name] = us(median(stageSamples))
}
// One invoke mints ids for the decision, the invocation and both audit records.
const accounted = 4 * stageUs.new_id + stageUs.hash_of_args + stageUs.validate_args + stageUs.policy_decide
const stagesTotal = accounted + stageUs.audit_append_decision + stageUs.audit_append_invocation

const figures = {}
for (const name of names) {
  const sorted = samples[name].sort((a, b) => a - b)
  figures[name] = {
    mean_us: us(median(roundMeans[name])),
    p50_us: us(percentile(sorted, 50)),
    p95_us: us(percentile(sorted, 95)),
    calls: sorted.length
  }
}

console.log(
  `tools bench: ${quick ? "quick" : "full"} mode, ${rounds} rounds x ${callsPerRound} calls per path ` +
    `(after ${warmupCalls} warm-up calls), node ${process.version}, ${benchSeconds.toFixed(1)} s timed`
)
for (const name of names) {
  const f = figures[name]
  console.log(
    `  ${name.padEnd(28)} mean ${String(f.mean_us).padStart(7)} us  p50 ${String(f.p50_us).padStart(7)} us  p95 ${String(f.p95_us).padStart(7)} us`
  )
}

console.log(
  `  where bga_invoke's p50 of ${figures.bga_invoke.p50_us} us goes (p50 of each stage timed alone): ` +
    Object.entries(stageUs)
      .map(([name, value]) => `${name} ${value}`)
      .join(", ") +
    ` us; the rest, ${round2(figures.bga_invoke.p50_us - stagesTotal)} us, is the runtime itself ` +
    "(Effect fibers, handler under timeout and abort signal, secrets and scrubbing, output cap, records)"
)

const ratioVsDirect = figures.bga_invoke.mean_us / figures.direct_zod_hash.mean_us
const ratioVsOpenai = figures.bga_invoke_from_text.mean_us / figures.openai_agents_function_tool.mean_us
const targets = {
  at_most_3x_direct_zod_hash: ratioVsDirect <= 3,
  faster_than_openai_agents_function_tool: ratioVsOpenai < 1
}
console.log(
  `(a) governed pipeline vs direct zod parse + hashOf + handler: ${round2(ratioVsDirect)}x (target <= 3x)\n` +
    `(b) governed pipeline from argument text vs @openai/agents-core FunctionTool: ${round2(ratioVsOpenai)}x ` +
    `(target < 1, i.e. faster, while deciding by policy and recording two audit records)`
)
console.log(
  JSON.stringify({
    bench: "tools",
    mode: quick ? "quick" : "full",
    rounds,
    calls_per_round: callsPerRound,
    ...Object.fromEntries(
      names.flatMap((n) =>
        Object.entries(figures[n])
          .filter(([k]) => k !== "calls")
          .map(([k, v]) => [`${n}_${k}`, v])
      )
    ),
    ratio_vs_direct_zod_hash: round2(ratioVsDirect),
    ratio_vs_openai_agents_function_tool: round2(ratioVsOpenai),
    ratio_p50_vs_direct_zod_hash: round2(figures.bga_invoke.p50_us / figures.direct_zod_hash.p50_us),
    ratio_p50_vs_openai_agents_function_tool: round2(
      figures.bga_invoke_from_text.p50_us / figures.openai_agents_function_tool.p50_us
    ),
    targets_met: targets,
    bga_invoke_p50_stages_us: { ...stageUs, runtime_rest: round2(figures.bga_invoke.p50_us - stagesTotal) }
  })
)
