// Tiny DOM helpers. Text always goes in as text nodes, never as HTML, so values from runs,
// tools or the audit log cannot inject markup into the page.

/** Creates an element: h("a", { href: "#/runs", class: "x", onclick: fn }, "text", child). */
export const h = (tag, attrs = {}, ...children) => {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value)
    else if (key === "class") el.className = value
    else if (key === "dataset") Object.assign(el.dataset, value)
    else if (value === true) el.setAttribute(key, "")
    else el.setAttribute(key, String(value))
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return el
}

/** Replaces the children of `el`. */
export const mount = (el, ...children) => {
  el.replaceChildren()
  for (const child of children.flat(Infinity)) if (child) el.append(child)
}

/** A state badge (`COMPLETED`, `allow`, ...). */
export const badge = (text, kind = String(text).toLowerCase()) =>
  h("span", { class: `badge badge-${kind}` }, text)

/** Formats an ISO timestamp for people, keeping the exact value in the tooltip. */
export const time = (iso) =>
  iso
    ? h("time", { datetime: iso, title: iso }, new Date(iso).toLocaleString())
    : h("span", { class: "muted" }, "—")

/** Shortens an id for tables, keeping the whole id in the tooltip. */
export const shortId = (id) => h("code", { title: id }, id ? `${id.slice(0, 8)}…${id.slice(-4)}` : "—")

/** Pretty JSON in a <pre>. */
export const json = (value) => h("pre", { class: "json" }, JSON.stringify(value, null, 2))

/** An error box with the error's stable code. */
export const errorBox = (error) =>
  h(
    "div",
    { class: "error", role: "alert", "data-testid": "error" },
    h("strong", {}, error.code ?? "error"),
    " ",
    error.message ?? String(error),
    error.problems?.length
      ? h(
          "ul",
          {},
          error.problems.map((p) => h("li", {}, h("code", {}, p.path), " ", p.message))
        )
      : null
  )
