import { Tools } from "@bga/core"

const customers: Readonly<
  Record<string, { readonly name: string; readonly plan: string; readonly email: string }>
> = {
  "C-1042": { name: "Ada Ortiz", plan: "business", email: "ada@example.com" },
  "C-2001": { name: "Bo Lindqvist", plan: "starter", email: "bo@example.org" }
}

/** The demo's tools: an in-memory customer directory and a refund ledger. Nothing leaves the process. */
export const makeDemoTools = (): ReadonlyArray<Tools.ToolDefinition> => {
  const refunds: Array<{ id: string; customerId: string; amount: number; currency: string }> = []
  return [
    Tools.defineTool({
      name: "customer_lookup",
      description: "Find a customer by id (C-1234)",
      parameters: {
        type: "object",
        properties: { customerId: { type: "string", pattern: "^C-[0-9]{1,8}$" } },
        required: ["customerId"],
        additionalProperties: false
      },
      riskClass: "read",
      idempotent: true,
      handler: (args: { customerId: string }) => {
        const customer = customers[args.customerId]
        return customer === undefined
          ? { found: false }
          : { found: true, customerId: args.customerId, ...customer }
      }
    }),
    Tools.defineTool({
      name: "refund_issue",
      description: "Refund an amount to a customer",
      parameters: {
        type: "object",
        properties: {
          customerId: { type: "string", pattern: "^C-[0-9]{1,8}$" },
          amount: { type: "number", exclusiveMinimum: 0, maximum: 10000 },
          currency: { type: "string", enum: ["EUR", "USD", "GBP"] },
          reason: { type: "string", maxLength: 500 }
        },
        required: ["customerId", "amount", "currency"],
        additionalProperties: false
      },
      handler: (args: { customerId: string; amount: number; currency: string }) => {
        const refund = { id: `R-${1000 + refunds.length}`, ...args }
        refunds.push(refund)
        return { refunded: true, refundId: refund.id, amount: refund.amount, currency: refund.currency }
      }
    })
  ] as ReadonlyArray<Tools.ToolDefinition>
}
