/**
 * The demo's policy document: support agents look customers up freely, every refund waits for
 * a human, and operators with the `approver` role decide. Everything else is denied by the
 * platform baseline.
 */
export const demoPolicy = {
  version: 1,
  deployment: {
    rules: [
      {
        id: "lookups-are-routine",
        effect: "allow",
        rationale: "Reading a customer's record is part of every support conversation",
        actions: "tool.invoke",
        resource: { names: "customer_lookup" }
      },
      {
        id: "refunds-need-a-human",
        effect: "require_approval",
        rationale: "Money leaves the business only with a human's approval",
        actions: "tool.invoke",
        resource: { names: "refund_issue" }
      },
      {
        id: "approvers-decide",
        effect: "allow",
        rationale: "Operators with the approver role resolve approvals",
        actions: "approval.resolve",
        subject: { roles: "approver" }
      },
      {
        id: "operators-run-agents",
        effect: "allow",
        rationale: "Operators start and cancel runs",
        actions: ["run.create", "run.cancel"],
        subject: { roles: "operator" }
      }
    ]
  }
} as const
