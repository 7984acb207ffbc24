import { readFileSync } from "node:fs"
import { AiSdkModel } from "@bga/core/model"
import { createOrchestrator } from "@bga/core/orchestrator/promise"
import { defineTool } from "@bga/core/tools"
import { StorageSqlite } from "@bga/storage-sqlite"
import { Schema } from "effect"

const crmLookup = defineTool({
  name: "crm_lookup",
  description: "Find a customer by email",
  parameters: Schema.Struct({ email: Schema.String }),
  handler: ({ email }) => ({ email, plan: "gold" }) // your CRM call here
})

/** BGA inside your service: any AI SDK model, your tools and policy, SQLite storage. */
export const startAgents = async (model: AiSdkModel.LanguageModel) => {
  const bga = await createOrchestrator({
    storage: StorageSqlite.layer({ path: ".data/bga.sqlite" }),
    model: AiSdkModel.make(model), // openai("gpt-5"), anthropic(...), any AI SDK model
    tools: [crmLookup],
    policy: JSON.parse(readFileSync("policy.json", "utf8")), // who may call what; what needs a human
    customerInstances: ["acme"]
  })
  // One governed run per ticket; a retried ticket gets the same run back.
  return (ticket: { id: string; userId: string; text: string }) =>
    bga.create({
      version: 2,
      customerInstanceId: "acme",
      environment: "production",
      actor: { kind: "user", id: ticket.userId, roles: ["support"] },
      input: { text: ticket.text },
      idempotencyKey: `ticket-${ticket.id}`
    })
}
