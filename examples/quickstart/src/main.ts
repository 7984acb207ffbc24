// Quickstart: load the B2B defaults, decode an untrusted run request (and see the typed error a
// bad one gets), then run an agent end to end on SQLite storage with a scripted model: one tool
// call is allowed, one is denied by policy, one waits for a human who approves it, and the run's
// audit trail is printed and its hash chain verified.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Config, Contracts, hashOf, newId } from "@bga/core"
import type { ModelRequest } from "@bga/core/model"
import { createOrchestrator } from "@bga/core/orchestrator/promise"
import * as ScriptedModel from "@bga/core/testing/scripted-model"
import { defineTool } from "@bga/core/tools"
import { StorageSqlite } from "@bga/storage-sqlite"
import { Result, Schema } from "effect"

// 1. Configuration and untrusted input.
const config = Config.defaultConfig()
console.log("B2B defaults:", JSON.stringify({ deployment: config.deployment, tools: config.tools }))

const body = JSON.stringify({
  version: 2,
  runId: newId(),
  customerInstanceId: "acme",
  environment: "production",
  actor: { kind: "user", id: "u-42", roles: ["operator"] },
  input: { text: "Customer a@example.com was double charged for order o-1001: sort it out." },
  idempotencyKey: "ticket-7781"
})
const decode = Contracts.decodeJson(Contracts.RunRequestV2, "RunRequestV2")
const bad = decode(JSON.stringify({ version: 2, customerInstanceId: "ACME!", actor: { kind: "robot" } }))
if (Result.isFailure(bad)) console.log(`rejected: ${bad.failure.message}`)
const ok = decode(body)
if (Result.isFailure(ok)) throw ok.failure
const request = ok.success
console.log(
  `accepted run ${request.runId} for ${request.customerInstanceId}; request hash ${hashOf(request)}`
)

// 2. Tools. Each call goes through the tool runtime: one policy decision, audited.
const crmLookup = defineTool({
  name: "crm_lookup",
  description: "Find a customer by email",
  parameters: Schema.Struct({ email: Schema.String }),
  idempotent: true,
  handler: ({ email }) => ({ email, customerId: "c-311", plan: "gold" })
})
const deleteCustomer = defineTool({
  name: "delete_customer",
  description: "Delete a customer and their data",
  parameters: Schema.Struct({ customerId: Schema.String }),
  handler: () => "deleted"
})
const issueRefund = defineTool({
  name: "issue_refund",
  description: "Refund an order",
  parameters: Schema.Struct({ order: Schema.String, cents: Schema.Number }),
  handler: ({ cents, order }) => ({ refunded: order, cents, reference: "rf-5521" })
})

const policy = {
  version: 1,
  deployment: {
    rules: [
      {
        id: "crm-read",
        effect: "allow",
        rationale: "support agents may read the CRM",
        actions: "tool.invoke",
        resource: { names: "crm_lookup" }
      },
      {
        id: "no-deletes",
        effect: "deny",
        rationale: "customer data is never deleted by an agent",
        actions: "tool.invoke",
        resource: { names: "delete_customer" }
      },
      {
        id: "refunds-need-a-human",
        effect: "require_approval",
        rationale: "money leaves the company",
        actions: "tool.invoke",
        resource: { names: "issue_refund" }
      },
      {
        id: "finance-approves",
        effect: "allow",
        rationale: "finance decides on refunds",
        actions: "approval.resolve",
        subject: { roles: "finance" }
      }
    ]
  }
}

// 3. A scripted model: what a real model would do, step by step, deterministically.
const model = ScriptedModel.make([
  { toolCalls: [{ name: "crm_lookup", args: { email: "a@example.com" } }] },
  {
    text: "Cleaning up the duplicate account first.",
    toolCalls: [{ name: "delete_customer", args: { customerId: "c-311" } }]
  },
  { toolCalls: [{ name: "issue_refund", args: { order: "o-1001", cents: 4900 } }] },
  (req: ModelRequest) => {
    const refund = req.messages.at(-1)
    return {
      text: `Refunded order o-1001 (${JSON.stringify(refund?.role === "tool" ? refund.result : null)}); the account was kept because policy forbids deletes.`
    }
  }
])

// 4. The orchestrator, on a SQLite file in a temporary folder.
const dir = mkdtempSync(join(tmpdir(), "bga-quickstart-"))
const bga = await createOrchestrator({
  storage: StorageSqlite.layer({ path: join(dir, "bga.sqlite") }),
  model,
  tools: [crmLookup, deleteCustomer, issueRefund],
  policy,
  system: "You are a support agent for Acme.",
  customerInstances: ["acme"]
})

try {
  const { run } = await bga.create(request)
  const runId = run.run.runId
  await bga.awaitIdle()
  const waiting = await bga.get("acme", runId)
  console.log(`run ${runId} is ${waiting.run.state}; approval ${waiting.pendingApprovalId} is pending`)

  // A human from finance approves the refund; the run resumes from its checkpoint.
  await bga.resolveApproval("acme", {
    approvalId: waiting.pendingApprovalId ?? "",
    actor: { kind: "user", id: "u-finance-1", roles: ["finance"] },
    environment: "production",
    outcome: "approved",
    reason: "duplicate charge confirmed in the payment system"
  })
  await bga.awaitIdle()
  const done = await bga.get("acme", runId)
  console.log(`run ${done.run.state}: ${done.output}`)
  console.log(`usage: ${JSON.stringify(done.usage)}`)

  // 5. The audit trail of the run, and the verification of the instance's hash chain.
  console.log("audit trail:")
  const trail = await bga.audit.list("acme", { runId, limit: 1000 })
  for (const record of trail.items) {
    const p = record.payload as Record<string, unknown>
    const detail =
      record.kind === "run_event"
        ? p.type === "run.state_changed"
          ? `${String((p.payload as Record<string, unknown>).from)} -> ${String((p.payload as Record<string, unknown>).to)}`
          : ""
        : record.kind === "policy_decision"
          ? `${String((p.resource as { name?: unknown }).name)}: ${String(p.effect)} (${String(p.rationale)})`
          : record.kind === "tool_invocation"
            ? `${String(p.toolName)}: ${String(p.outcome)}`
            : ""
    console.log(`  #${record.seq} ${record.kind} ${record.eventType ?? ""} ${detail}`.trimEnd())
  }
  const report = await bga.audit.verify("acme")
  console.log(
    `audit chain verified: ${report.ok} (${report.checked} records, head ${report.lastHash?.slice(0, 16)}…)`
  )
  if (!report.ok || done.run.state !== "COMPLETED") process.exitCode = 1
} finally {
  await bga.close()
  rmSync(dir, { recursive: true, force: true })
}
