import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { StorageSqlite } from "@bga/storage-sqlite"
import { Schema } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import type { ModelRequest } from "../../src/model/ModelPort.js"
import { OrchestratorError } from "../../src/orchestrator/index.js"
import { createOrchestrator } from "../../src/orchestrator/promise.js"
import * as ScriptedModel from "../../src/testing/ScriptedModel.js"
import { defineTool } from "../../src/tools/ToolDefinition.js"
import { approver, request, testPolicy } from "./harness.js"

const dir = mkdtempSync(join(tmpdir(), "bga-orchestrator-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const refunds: Array<string> = []
const refund = defineTool({
  name: "refund",
  description: "Refund an order",
  parameters: Schema.Struct({ order: Schema.String, cents: Schema.Number }),
  handler: ({ order }) => {
    refunds.push(order)
    return { refunded: order }
  }
})

const model = () =>
  ScriptedModel.make((req: ModelRequest) =>
    req.messages.at(-1)?.role === "tool"
      ? { text: "refunded" }
      : { toolCalls: [{ name: "refund", args: { order: "o-9", cents: 100 } }] }
  )

const open = (path: string) =>
  createOrchestrator({
    storage: StorageSqlite.layer({ path }),
    model: model(),
    tools: [refund],
    policy: testPolicy,
    customerInstances: ["acme"]
  })

describe("orchestrator: Promise API", () => {
  it("a run waits for approval across a restart: a new orchestrator on the same SQLite file resumes it", async () => {
    const path = join(dir, "restart.sqlite")
    const first = await open(path)
    const { run } = await first.create(request())
    await first.awaitIdle()
    const waiting = await first.get("acme", run.run.runId)
    expect(waiting.run.state).toBe("WAITING_APPROVAL")
    await first.close()

    const second = await open(path)
    await second.awaitIdle()
    const still = await second.get("acme", run.run.runId)
    expect(still.run.state).toBe("WAITING_APPROVAL")
    expect(still.pendingApprovalId).toBe(waiting.pendingApprovalId)
    await second.resolveApproval("acme", {
      approvalId: still.pendingApprovalId!,
      actor: approver,
      environment: "production",
      outcome: "approved"
    })
    await second.awaitIdle()
    const done = await second.get("acme", run.run.runId)
    expect(done.run.state).toBe("COMPLETED")
    expect(done.output).toBe("refunded")
    expect(refunds).toEqual(["o-9"])
    const events = await second.events("acme", run.run.runId)
    expect(events.items.filter((e) => e.type === "run.state_changed").map((e) => e.payload.to)).toEqual([
      "RUNNING",
      "WAITING_APPROVAL",
      "RUNNING",
      "COMPLETED"
    ])
    expect((await second.audit.verify("acme")).ok).toBe(true)
    await second.close()
  })

  it("rejects with the typed errors of the Effect API", async () => {
    const bga = await open(join(dir, "errors.sqlite"))
    const missing = await bga.get("acme", "0195f000-0000-7000-8000-000000000000").catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(OrchestratorError)
    expect((missing as OrchestratorError).reason).toBe("not-found")
    await bga.close()
  })
})
