// A worker process for the crash test: an orchestrator on a SQLite file, a scripted model and
// two tools whose side effects are appended to a file, so the test can count how often each
// really ran across processes. It reports what happens on stdout, one line each:
// "event <type> <to>", "model <step>", "effect <tool>", "final <state> <reason>".
//
//   node crash-child.mjs run <db> <runId> <hint>      create the run and work on it
//   node crash-child.mjs recover <db> <runId>         recover, approve what waits, finish
//
// `hint` slows one point down so the test can kill the process there: `before` (the first
// model call), `during` (the charge handler, after its effect), `after` (the model call that
// follows the charge). Bounded: exits within 60 s.
import { appendFileSync } from "node:fs"
import { StorageSqlite } from "@bga/storage-sqlite"
import { Schema } from "effect"
import { createOrchestrator } from "../../dist/orchestrator/promise.js"
import { ScriptedModel } from "../../dist/testing/index.js"
import { defineTool } from "../../dist/tools/index.js"

const [mode, db, runId, hint = "none"] = process.argv.slice(2)
const ci = "acme"
const effects = `${db}.effects`
const say = (line) => process.stdout.write(`${line}\n`)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
setTimeout(() => process.exit(3), 60_000).unref()

const charge = defineTool({
  name: "charge",
  description: "Charge the customer's card (not idempotent)",
  parameters: Schema.Struct({ cents: Schema.Number }),
  handler: async ({ cents }, context) => {
    appendFileSync(effects, `charge ${context.runId}\n`)
    say("effect charge")
    if (mode === "run" && hint === "during") await sleep(3_000)
    return { charged: cents }
  }
})
const refund = defineTool({
  name: "refund",
  description: "Refund an order",
  parameters: Schema.Struct({ order: Schema.String, cents: Schema.Number }),
  handler: ({ order }, context) => {
    appendFileSync(effects, `refund ${context.runId}\n`)
    say("effect refund")
    return { refunded: order }
  }
})

// The same behaviour in every process: what to do next follows from the conversation.
const model = ScriptedModel.make((request) => {
  const results = request.messages.filter((m) => m.role === "tool")
  say(`model ${results.length}`)
  if (results.length === 0) {
    return {
      toolCalls: [{ id: "c1", name: "charge", args: { cents: 500 } }],
      ...(mode === "run" && hint === "before" ? { delayMs: 3_000 } : {})
    }
  }
  if (results.length === 1) {
    return {
      toolCalls: [{ id: "c2", name: "refund", args: { order: "o-1", cents: 500 } }],
      ...(mode === "run" && hint === "after" ? { delayMs: 3_000 } : {})
    }
  }
  return { text: `done: ${results.map((r) => JSON.stringify(r.result)).join(" ")}` }
})

const policy = {
  version: 1,
  deployment: {
    rules: [
      {
        id: "charge",
        effect: "allow",
        rationale: "test",
        actions: "tool.invoke",
        resource: { names: "charge" }
      },
      {
        id: "refund",
        effect: "require_approval",
        rationale: "refunds need a human",
        actions: "tool.invoke",
        resource: { names: "refund" }
      },
      {
        id: "approvers",
        effect: "allow",
        rationale: "approvers decide",
        actions: "approval.resolve",
        subject: { roles: "approver" }
      }
    ]
  }
}

const bga = await createOrchestrator({
  storage: StorageSqlite.layer({ path: db }),
  model,
  tools: [charge, refund],
  policy,
  customerInstances: [ci],
  lease: { ttlMs: 500, heartbeatMs: 100 },
  sweepIntervalMs: 100,
  onEvent: (event) => say(`event ${event.type} ${event.payload.to ?? ""}`.trim())
})

const settled = async () => {
  for (let i = 0; i < 1_000; i++) {
    await bga.awaitIdle()
    const view = await bga.get(ci, runId)
    const state = view.run.state
    if (state === "COMPLETED" || state === "FAILED" || state === "CANCELLED") return view
    if (state === "WAITING_APPROVAL" && view.run.lease === undefined) return view
    await sleep(20)
  }
  throw new Error("the run did not settle")
}

if (mode === "run") {
  await bga.create({
    version: 2,
    runId,
    customerInstanceId: ci,
    environment: "production",
    actor: { kind: "user", id: "u-1", roles: ["operator"] },
    input: { text: "Charge the order, then refund it" },
    idempotencyKey: `crash-${runId}`
  })
  const view = await settled()
  say(`final ${view.run.state} ${view.endReason?.code ?? "-"}`)
  // Stay up like a server would, until the test kills it (or the 60 s bound).
  await sleep(60_000)
} else {
  let view = await settled()
  if (view.run.state === "WAITING_APPROVAL") {
    await bga.resolveApproval(ci, {
      approvalId: view.pendingApprovalId,
      actor: { kind: "user", id: "u-approver", roles: ["approver"] },
      environment: "production",
      outcome: "approved",
      reason: "verified"
    })
    view = await settled()
  }
  say(`final ${view.run.state} ${view.endReason?.code ?? "-"}`)
}
await bga.close()
process.exit(0)
