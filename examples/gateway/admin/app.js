import { ApiError, call, clearKey, getKey, setKey } from "./api.js"
import { errorBox, h, mount } from "./dom.js"
import { approvalsView, auditView, policyView, runsView, runView } from "./views.js"

const main = document.getElementById("main")
const nav = document.getElementById("nav")
const who = document.getElementById("who")

let session
let timers = []

/** What a view may schedule; everything stops when the route changes. */
const context = () => ({
  every: (ms, fn) => {
    const id = setInterval(() => {
      if (!document.hidden) fn()
    }, ms)
    timers.push(id)
  }
})

const sections = [
  ["#/runs", "Runs", "runs:read"],
  ["#/approvals", "Approvals", "approvals:read"],
  ["#/audit", "Audit log", "audit:read"],
  ["#/policy", "Policy", "policy:read"]
]

const has = (scope) =>
  session.scopes.includes("admin") ||
  session.scopes.includes(scope) ||
  (scope === "approvals:read" && session.scopes.includes("approvals:resolve"))

const renderChrome = () => {
  if (!session) {
    mount(nav)
    mount(who)
    return
  }
  mount(
    nav,
    sections
      .filter(([, , scope]) => has(scope))
      .map(([href, label]) => h("a", { href, class: location.hash.startsWith(href) ? "active" : "" }, label))
  )
  mount(
    who,
    h("span", { "data-testid": "instance" }, session.customerInstanceId),
    " · ",
    h("span", { title: session.scopes.join(", ") }, session.name),
    h(
      "button",
      {
        class: "link",
        "data-testid": "sign-out",
        onclick: () => {
          clearKey()
          session = undefined
          location.hash = "#/login"
        }
      },
      "Sign out"
    )
  )
}

const loginView = (error) => {
  const form = h(
    "form",
    {
      class: "card login",
      "data-testid": "login",
      onsubmit: async (event) => {
        event.preventDefault()
        setKey(new FormData(form).get("key") ?? "")
        await start()
      }
    },
    h("h1", {}, "Sign in"),
    h(
      "p",
      {},
      "Paste an API key created with ",
      h("code", {}, "bga keys create"),
      ". It is kept in this tab only."
    ),
    h(
      "label",
      {},
      "API key",
      h("input", {
        name: "key",
        type: "password",
        autocomplete: "off",
        required: true,
        "data-testid": "api-key"
      })
    ),
    h("button", { type: "submit", "data-testid": "sign-in" }, "Sign in"),
    error ? errorBox(error) : null
  )
  mount(main, form)
}

const route = async () => {
  for (const id of timers) clearInterval(id)
  timers = []
  renderChrome()
  if (!session) return loginView()
  const hash = location.hash || "#/runs"
  const ctx = context()
  try {
    if (hash.startsWith("#/runs/"))
      return await runView(main, session, ctx, decodeURIComponent(hash.slice("#/runs/".length)))
    if (hash.startsWith("#/approvals")) return await approvalsView(main, session, ctx)
    if (hash.startsWith("#/audit")) return await auditView(main, session, ctx)
    if (hash.startsWith("#/policy")) return await policyView(main, session, ctx)
    const first = sections.find(([, , scope]) => has(scope))
    if (hash !== "#/runs" && first) {
      location.hash = first[0]
      return
    }
    return await runsView(main, session, ctx)
  } catch (error) {
    mount(main, errorBox(error))
  }
}

const start = async () => {
  if (!getKey()) {
    session = undefined
    renderChrome()
    return loginView()
  }
  try {
    session = await call("auth.whoami", {})
    if (!location.hash || location.hash === "#/login") location.hash = "#/runs"
    else await route()
  } catch (error) {
    session = undefined
    if (error instanceof ApiError && (error.code === "unauthenticated" || error.code === "locked_out"))
      clearKey()
    renderChrome()
    loginView(error)
  }
}

window.addEventListener("hashchange", () => {
  if (location.hash === "#/login") {
    session = undefined
    renderChrome()
    return loginView()
  }
  route()
})
start()
