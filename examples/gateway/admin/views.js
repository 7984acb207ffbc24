import { call } from "./api.js"
import { badge, errorBox, h, json, mount, shortId, time } from "./dom.js"

const liveStates = new Set(["QUEUED", "RUNNING", "WAITING_APPROVAL"])
const can = (session, scope) =>
  session.scopes.includes("admin") ||
  session.scopes.includes(scope) ||
  (scope === "approvals:read" && session.scopes.includes("approvals:resolve"))

/** Runs: a form to start one, and the newest runs of the instance. */
export const runsView = async (main, session, ctx) => {
  const list = h("div", { "data-testid": "runs-list" }, h("p", { class: "muted" }, "Loading…"))
  const feedback = h("div")
  const form = can(session, "runs:write")
    ? h(
        "form",
        {
          class: "card",
          "data-testid": "new-run",
          onsubmit: async (event) => {
            event.preventDefault()
            const data = new FormData(event.target)
            const input = { input: { text: String(data.get("text") ?? "") } }
            const key = String(data.get("idempotencyKey") ?? "").trim()
            if (key) input.idempotencyKey = key
            try {
              const created = await call("runs.create", input)
              location.hash = `#/runs/${created.run.run.runId}`
            } catch (error) {
              mount(feedback, errorBox(error))
            }
          }
        },
        h("h2", {}, "Start a run"),
        h(
          "label",
          {},
          "What should the agent do?",
          h("textarea", {
            name: "text",
            rows: 3,
            required: true,
            placeholder: "Refund 120 EUR to customer C-1042 for order 7",
            "data-testid": "run-text"
          })
        ),
        h(
          "label",
          {},
          "Idempotency key (optional)",
          h("input", { name: "idempotencyKey", maxlength: 200, placeholder: "order-7-refund" })
        ),
        h("button", { type: "submit", "data-testid": "start-run" }, "Start run"),
        feedback
      )
    : null
  mount(main, h("h1", {}, "Runs"), form, h("section", { class: "card" }, h("h2", {}, "Recent runs"), list))
  const load = async () => {
    try {
      const page = await call("runs.list", { limit: 50 })
      mount(
        list,
        page.items.length === 0
          ? h("p", { class: "muted" }, "No runs yet.")
          : h(
              "table",
              {},
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ["Created", "Run", "State", "Actor", "Request", "Output"].map((c) => h("th", {}, c))
                )
              ),
              h(
                "tbody",
                {},
                page.items.map((view) =>
                  h(
                    "tr",
                    { "data-testid": "run-row", dataset: { runId: view.run.runId } },
                    h("td", {}, time(view.run.createdAt)),
                    h("td", {}, h("a", { href: `#/runs/${view.run.runId}` }, shortId(view.run.runId))),
                    h("td", {}, badge(view.run.state)),
                    h("td", {}, view.run.request.actor.displayName ?? view.run.request.actor.id),
                    h("td", { class: "clip" }, view.run.request.input.text),
                    h("td", { class: "clip" }, view.output ?? view.endReason?.message ?? "")
                  )
                )
              )
            )
      )
    } catch (error) {
      mount(list, errorBox(error))
    }
  }
  await load()
  ctx.every(3000, load)
}

const approvalCard = (approval, session, onDone) => {
  const feedback = h("div")
  const reason = h("input", {
    name: "reason",
    placeholder: "Reason (recorded in the audit log)",
    maxlength: 4096
  })
  const decide = (outcome) => async () => {
    try {
      await call("approvals.resolve", {
        approvalId: approval.approvalId,
        outcome,
        ...(reason.value.trim() ? { reason: reason.value.trim() } : {})
      })
      await onDone(outcome)
    } catch (error) {
      mount(feedback, errorBox(error))
    }
  }
  const request = approval.request
  return h(
    "article",
    { class: "card approval", "data-testid": "approval", dataset: { approvalId: approval.approvalId } },
    h("h3", {}, "Tool call ", h("code", {}, request.toolName), " waits for approval"),
    h(
      "dl",
      {},
      h("dt", {}, "Run"),
      h("dd", {}, h("a", { href: `#/runs/${request.runId}` }, shortId(request.runId))),
      h("dt", {}, "Requested by"),
      h("dd", {}, `${request.requestedBy.kind} ${request.requestedBy.id}`),
      h("dt", {}, "Requested"),
      h("dd", {}, time(request.requestedAt)),
      h("dt", {}, "Expires"),
      h("dd", {}, time(request.expiresAt)),
      h("dt", {}, "Arguments hash"),
      h("dd", {}, h("code", { class: "hash" }, request.argsHash))
    ),
    h("h4", {}, "Arguments"),
    json(request.argsPreview),
    can(session, "approvals:resolve")
      ? h(
          "div",
          { class: "actions" },
          reason,
          h("button", { class: "approve", onclick: decide("approved"), "data-testid": "approve" }, "Approve"),
          h("button", { class: "deny", onclick: decide("denied"), "data-testid": "deny" }, "Deny")
        )
      : h("p", { class: "muted" }, "This key may read the queue but not resolve approvals."),
    feedback
  )
}

/** One run: summary, pending approval, timeline and tool invocations. */
export const runView = async (main, session, ctx, runId) => {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"))
  mount(
    main,
    h("p", {}, h("a", { href: "#/runs" }, "← Runs")),
    h("h1", {}, "Run ", h("code", {}, runId)),
    body
  )
  let shown = ""
  const load = async () => {
    try {
      const [view, events, invocations, approvals] = await Promise.all([
        call("runs.get", { runId }),
        call("runs.events", { runId, limit: 1000 }),
        can(session, "audit:read")
          ? call("audit.events.list", { runId, kinds: ["tool_invocation"], limit: 200 })
          : Promise.resolve(undefined),
        can(session, "approvals:read") ? call("approvals.list", { runId }) : Promise.resolve({ items: [] })
      ])
      const run = view.run
      // Re-render only when something changed, so polling never wipes what the operator types.
      const signature = JSON.stringify([
        run.version,
        run.state,
        events.items.length,
        invocations?.items.length,
        approvals.items.map((a) => a.approvalId)
      ])
      if (signature === shown) return
      shown = signature
      const cancel =
        can(session, "runs:write") && liveStates.has(run.state)
          ? h(
              "button",
              {
                class: "deny",
                onclick: async () => {
                  try {
                    await call("runs.cancel", { runId, reason: "cancelled from the admin UI" })
                    shown = ""
                    await load()
                  } catch (error) {
                    body.prepend(errorBox(error))
                  }
                }
              },
              "Cancel run"
            )
          : null
      mount(
        body,
        h(
          "section",
          { class: "card summary", "data-testid": "run-summary" },
          h(
            "dl",
            {},
            h("dt", {}, "State"),
            h("dd", { "data-testid": "run-state" }, badge(run.state)),
            h("dt", {}, "Actor"),
            h("dd", {}, `${run.request.actor.kind} ${run.request.actor.id}`),
            h("dt", {}, "Created"),
            h("dd", {}, time(run.createdAt)),
            h("dt", {}, "Updated"),
            h("dd", {}, time(run.updatedAt)),
            h("dt", {}, "Usage"),
            h(
              "dd",
              {},
              `${view.usage.steps} steps, ${view.usage.toolCalls} tool calls, ${view.usage.inputTokens + view.usage.outputTokens} tokens`
            ),
            h("dt", {}, "Request"),
            h("dd", {}, run.request.input.text),
            view.output !== undefined
              ? [
                  h("dt", {}, "Output"),
                  h("dd", { class: "output", "data-testid": "run-output" }, view.output)
                ]
              : null,
            view.endReason
              ? [h("dt", {}, "Ended"), h("dd", {}, `${view.endReason.code}: ${view.endReason.message}`)]
              : null
          ),
          cancel
        ),
        approvals.items.length > 0
          ? h(
              "section",
              {},
              h("h2", {}, "Waiting for approval"),
              approvals.items.map((a) =>
                approvalCard(a, session, async () => {
                  shown = ""
                  await load()
                })
              )
            )
          : null,
        h(
          "section",
          { class: "card" },
          h("h2", {}, "Timeline"),
          h(
            "ol",
            { class: "timeline", "data-testid": "timeline" },
            events.items.map((event) =>
              h(
                "li",
                { dataset: { type: event.type } },
                h("div", { class: "when" }, time(event.ts)),
                h("div", {}, h("strong", {}, event.type), " ", badge(event.phase)),
                Object.keys(event.payload).length > 0
                  ? h("details", {}, h("summary", {}, "details"), json(event.payload))
                  : null
              )
            )
          )
        ),
        invocations
          ? h(
              "section",
              { class: "card" },
              h("h2", {}, "Tool invocations"),
              invocations.items.length === 0
                ? h("p", { class: "muted" }, "No tool calls yet.")
                : h(
                    "table",
                    { "data-testid": "invocations" },
                    h(
                      "thead",
                      {},
                      h(
                        "tr",
                        {},
                        ["Tool", "Outcome", "Started", "Ended", "Decision", "Arguments hash"].map((c) =>
                          h("th", {}, c)
                        )
                      )
                    ),
                    h(
                      "tbody",
                      {},
                      invocations.items.map((record) => {
                        const p = record.payload
                        return h(
                          "tr",
                          {},
                          h("td", {}, h("code", {}, p.toolName)),
                          h("td", {}, badge(p.outcome)),
                          h("td", {}, time(p.startedAt)),
                          h("td", {}, time(p.endedAt)),
                          h("td", {}, shortId(p.policyDecisionId)),
                          h("td", {}, h("code", { class: "hash" }, String(p.argsHash).slice(0, 16), "…"))
                        )
                      })
                    )
                  )
            )
          : null
      )
    } catch (error) {
      shown = ""
      mount(body, errorBox(error))
    }
  }
  await load()
  ctx.every(1500, load)
}

/** The approvals queue of the instance. */
export const approvalsView = async (main, session, ctx) => {
  const list = h("div", { "data-testid": "approvals-list" }, h("p", { class: "muted" }, "Loading…"))
  const notice = h("div", { "aria-live": "polite" })
  mount(main, h("h1", {}, "Approvals"), notice, list)
  let shown = ""
  const load = async () => {
    try {
      const page = await call("approvals.list", { limit: 100 })
      const signature = page.items.map((a) => a.approvalId).join(",")
      if (signature === shown) return
      shown = signature
      mount(
        list,
        page.items.length === 0
          ? h("p", { class: "muted", "data-testid": "approvals-empty" }, "Nothing waits for approval.")
          : page.items.map((a) =>
              approvalCard(a, session, async (outcome) => {
                mount(notice, h("p", { class: "ok", "data-testid": "resolved" }, `Tool call ${outcome}.`))
                await load()
              })
            )
      )
    } catch (error) {
      shown = ""
      mount(list, errorBox(error))
    }
  }
  await load()
  ctx.every(3000, load)
}

const kinds = [
  "run_event",
  "tool_invocation",
  "policy_decision",
  "approval_request",
  "approval_decision",
  "auth_event",
  "egress_event",
  "plugin_event"
]

/** The audit log with filters, pages, and chain verification. */
export const auditView = async (main) => {
  const results = h("div", { "data-testid": "audit-results" })
  const verifyOut = h("div", { "aria-live": "polite", "data-testid": "verify-result" })
  const more = h("div")
  const form = h(
    "form",
    {
      class: "card filters",
      onsubmit: (event) => {
        event.preventDefault()
        search()
      }
    },
    h(
      "label",
      {},
      "Kind",
      h(
        "select",
        { name: "kind" },
        h("option", { value: "" }, "any"),
        kinds.map((k) => h("option", { value: k }, k))
      )
    ),
    h("label", {}, "Event type", h("input", { name: "eventType", placeholder: "auth.denied" })),
    h("label", {}, "Run id", h("input", { name: "runId", placeholder: "UUIDv7" })),
    h("label", {}, "Actor id", h("input", { name: "actorId" })),
    h("label", {}, "From", h("input", { name: "from", type: "datetime-local" })),
    h("label", {}, "To", h("input", { name: "to", type: "datetime-local" })),
    h(
      "label",
      {},
      "Order",
      h(
        "select",
        { name: "order" },
        h("option", { value: "desc" }, "newest first"),
        h("option", { value: "asc" }, "chain order")
      )
    ),
    h("div", { class: "actions" }, h("button", { type: "submit", "data-testid": "audit-search" }, "Search"))
  )
  const verify = h(
    "button",
    {
      "data-testid": "verify",
      onclick: async () => {
        mount(verifyOut, h("p", { class: "muted" }, "Verifying…"))
        try {
          const report = await call("audit.verify", {})
          mount(
            verifyOut,
            report.ok
              ? h(
                  "p",
                  { class: "chain chain-ok" },
                  badge("intact", "ok"),
                  ` Chain intact: ${report.checked} records checked`,
                  report.lastSeq ? `, head #${report.lastSeq}` : "",
                  report.lastHash
                    ? [
                        " ",
                        h(
                          "code",
                          { class: "hash", title: report.lastHash },
                          `${report.lastHash.slice(0, 16)}…`
                        )
                      ]
                    : ""
                )
              : h(
                  "div",
                  { class: "chain chain-broken" },
                  h(
                    "p",
                    {},
                    badge("broken", "failed"),
                    ` Chain broken: ${report.problemCount} problem(s) in ${report.checked} records`
                  ),
                  h(
                    "ul",
                    {},
                    report.problems.map((p) => h("li", {}, `#${p.seq ?? "?"} ${p.kind}: ${p.message}`))
                  )
                )
          )
        } catch (error) {
          mount(verifyOut, errorBox(error))
        }
      }
    },
    "Verify chain"
  )
  mount(
    main,
    h("h1", {}, "Audit log"),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Tamper evidence"),
      h("p", {}, "Recomputes every hash and link of this instance's chain."),
      verify,
      verifyOut
    ),
    form,
    results,
    more
  )

  const query = () => {
    const data = new FormData(form)
    const q = { limit: 50, order: String(data.get("order") || "desc") }
    const kind = String(data.get("kind") || "")
    if (kind) q.kinds = [kind]
    for (const field of ["eventType", "runId", "actorId"]) {
      const v = String(data.get(field) || "").trim()
      if (v) q[field] = v
    }
    for (const field of ["from", "to"]) {
      const v = String(data.get(field) || "")
      if (v) q[field] = new Date(v).toISOString()
    }
    return q
  }
  const render = (page, append) => {
    const rows = page.items.map((r) =>
      h(
        "tr",
        { "data-testid": "audit-row" },
        h("td", {}, `#${r.seq}`),
        h("td", {}, time(r.ts)),
        h("td", {}, badge(r.kind, "kind")),
        h("td", {}, r.eventType ?? ""),
        h("td", {}, r.runId ? h("a", { href: `#/runs/${r.runId}` }, shortId(r.runId)) : ""),
        h("td", {}, r.actorId ?? ""),
        h("td", {}, h("details", {}, h("summary", {}, "payload"), json(r.payload)))
      )
    )
    if (!append) {
      mount(
        results,
        page.items.length === 0
          ? h("p", { class: "muted" }, "No records match.")
          : h(
              "table",
              { class: "card" },
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ["Seq", "Time", "Kind", "Event", "Run", "Actor", ""].map((c) => h("th", {}, c))
                )
              ),
              h("tbody", {}, rows)
            )
      )
    } else results.querySelector("tbody")?.append(...rows)
    mount(
      more,
      page.nextCursor
        ? h("button", { class: "secondary", onclick: () => search(page.nextCursor) }, "More")
        : null
    )
  }
  const search = async (cursor) => {
    try {
      const page = await call("audit.events.list", { ...query(), ...(cursor ? { cursor } : {}) })
      render(page, cursor !== undefined)
    } catch (error) {
      mount(results, errorBox(error))
    }
  }
  await search()
}

/** The policy playground: ask the policy about a request and read its trace. */
export const policyView = async (main, session) => {
  const out = h("div", { "data-testid": "policy-result" })
  const field = (label, name, value, attrs = {}) =>
    h("label", {}, label, h("input", { name, value, ...attrs }))
  const form = h(
    "form",
    {
      class: "card filters",
      onsubmit: async (event) => {
        event.preventDefault()
        const data = new FormData(form)
        const list = (name) =>
          String(data.get(name) || "")
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        const request = {
          subject: {
            actor: {
              kind: String(data.get("actorKind")),
              id: String(data.get("actorId")),
              roles: list("roles")
            },
            customerInstanceId: session.customerInstanceId,
            environment: String(data.get("environment"))
          },
          action: String(data.get("action")),
          resource: {
            kind: String(data.get("resourceKind")),
            name: String(data.get("resourceName")),
            ...(list("groups").length ? { groups: list("groups") } : {}),
            ...(String(data.get("riskClass") || "") ? { riskClass: String(data.get("riskClass")) } : {})
          },
          context: { sandboxed: data.get("sandboxed") === "on" }
        }
        try {
          const trace = await call("policy.evaluate", request)
          mount(
            out,
            h(
              "section",
              { class: "card" },
              h("h2", {}, "Decision ", h("span", { "data-testid": "policy-effect" }, badge(trace.effect))),
              h("p", { class: "rationale" }, trace.rationale),
              trace.decidingRule
                ? h(
                    "p",
                    {},
                    "Deciding rule: ",
                    h("code", {}, trace.decidingRule.ruleId),
                    ` (${trace.decidingRule.layer})`
                  )
                : h("p", { class: "muted" }, "No rule matched: the default is deny."),
              h(
                "table",
                {},
                h(
                  "thead",
                  {},
                  h(
                    "tr",
                    {},
                    ["Matched rule", "Layer", "Effect"].map((c) => h("th", {}, c))
                  )
                ),
                h(
                  "tbody",
                  {},
                  trace.matchedRules.map((r) =>
                    h(
                      "tr",
                      {},
                      h("td", {}, h("code", {}, r.ruleId)),
                      h("td", {}, r.layer),
                      h("td", {}, badge(r.effect))
                    )
                  )
                )
              ),
              h("details", {}, h("summary", {}, "Full trace"), json(trace))
            )
          )
        } catch (error) {
          mount(out, errorBox(error))
        }
      }
    },
    h("h2", {}, "Ask the policy"),
    h(
      "p",
      { class: "muted" },
      "Nothing runs and nothing is recorded: this shows what the policy in force would decide, and why."
    ),
    h(
      "label",
      {},
      "Actor kind",
      h(
        "select",
        { name: "actorKind" },
        ["user", "service", "agent", "system"].map((k) => h("option", { value: k }, k))
      )
    ),
    field("Actor id", "actorId", session.actor.id, { required: true }),
    field("Roles (comma separated)", "roles", session.actor.roles.join(", ")),
    field("Environment", "environment", session.environment, { required: true }),
    field("Action", "action", "tool.invoke", { required: true, list: "actions" }),
    h(
      "datalist",
      { id: "actions" },
      ["tool.invoke", "egress.fetch", "approval.resolve", "run.create", "run.cancel", "plugin.load"].map(
        (a) => h("option", { value: a })
      )
    ),
    h(
      "label",
      {},
      "Resource kind",
      h(
        "select",
        { name: "resourceKind" },
        ["tool", "host", "plugin", "run", "approval"].map((k) => h("option", { value: k }, k))
      )
    ),
    field("Resource name", "resourceName", "refund_issue", {
      required: true,
      "data-testid": "resource-name"
    }),
    field("Groups (comma separated)", "groups", ""),
    field("Risk class", "riskClass", "", { placeholder: "exec, external_send, read…" }),
    h(
      "label",
      { class: "check" },
      h("input", { type: "checkbox", name: "sandboxed" }),
      "Runs in a sandbox lane"
    ),
    h("div", { class: "actions" }, h("button", { type: "submit", "data-testid": "evaluate" }, "Evaluate"))
  )
  mount(main, h("h1", {}, "Policy playground"), form, out)
}
