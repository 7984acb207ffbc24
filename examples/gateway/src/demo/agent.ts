import type { Model } from "@bga/core"
import * as ScriptedModel from "@bga/core/testing/scripted-model"

const customerOf = (text: string) => /\bC-\d{1,8}\b/u.exec(text)?.[0] ?? "C-1042"
const amountOf = (text: string) => {
  const match = /(\d+(?:\.\d{1,2})?)\s*(EUR|USD|GBP)\b/iu.exec(text)
  return { amount: match ? Number(match[1]) : 120, currency: (match?.[2] ?? "EUR").toUpperCase() }
}

/**
 * The demo's agent, a scripted model (deterministic, no provider needed): it looks the customer
 * up, asks for the refund the request mentions (which the policy sends to a human), and reports
 * what happened. Requests that do not mention a refund get the lookup only.
 */
export const demoAgent: Model.ModelPortShape = ScriptedModel.make(
  (request) => {
    const user = request.messages.find((m) => m.role === "user")
    const text = user?.role === "user" ? user.text : ""
    const last = request.messages.at(-1)
    if (last?.role === "user") {
      return {
        text: "Let me look the customer up.",
        toolCalls: [{ name: "customer_lookup", args: { customerId: customerOf(text) } }]
      }
    }
    if (
      last?.role === "tool" &&
      last.toolName === "customer_lookup" &&
      /refund/iu.test(text) &&
      !last.isError
    ) {
      return {
        text: "The customer checks out; I am asking for the refund.",
        toolCalls: [
          {
            name: "refund_issue",
            args: { customerId: customerOf(text), ...amountOf(text), reason: text.slice(0, 500) }
          }
        ]
      }
    }
    if (last?.role === "tool" && last.toolName === "refund_issue") {
      const result = last.result as { refundId?: string; amount?: number; currency?: string } | null
      return {
        text:
          last.isError || result?.refundId === undefined
            ? "The refund was not made: it was not approved. I have told the customer it is under review."
            : `Refund ${result.refundId} of ${result.amount} ${result.currency} is done; the customer will see it in 3 to 5 days.`
      }
    }
    if (last?.role === "tool") return { text: `Customer record: ${JSON.stringify(last.result)}` }
    return { text: "Done." }
  },
  { name: "scripted/demo-agent" }
)
