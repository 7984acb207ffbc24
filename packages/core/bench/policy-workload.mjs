// Seeded workload for `pnpm bench:policy`: one rule set per size, written once in a neutral
// form and translated to a BGA policy document, a Cedar policy set and a casbin model with
// policy lines, plus at least 1,000 distinct requests in the three engines' request shapes.
// Rules use only what all three express: exact actions; exact, glob and group resource targets;
// roles; customer instance and agent scoping; the sandbox flag; numeric, domain-suffix and CIDR
// conditions; the platform's sandbox_only baseline.
//
// Two families of rule sets. `makeRules` draws every rule over the tools and hosts requests use,
// so the more rules, the more of them match each request. `makeConstantRules` keeps ten broad
// rules over those tools and hosts at every size and draws the rest, with the same distribution,
// over tools, groups and hosts no request names: each request matches the same rules at every
// size, as in a large deployment where most rules govern other tools.

/** mulberry32: a small seeded PRNG, so every run sees the same workload. */
export const rng = (seed) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const groups = ["group:fs", "group:runtime", "group:web", "group:browser", "group:messaging", "group:memory"]
const riskFor = {
  "group:fs": ["read", "filesystem_write"],
  "group:runtime": ["exec"],
  "group:web": ["read", undefined],
  "group:browser": ["browser"],
  "group:messaging": ["external_send", undefined],
  "group:memory": [undefined]
}
const roles = ["operator", "approver", "auditor", "analyst", "admin"]
const instances = Array.from({ length: 20 }, (_, i) => `ci-${String(i).padStart(2, "0")}`)
const agents = Array.from({ length: 10 }, (_, i) => `agent-${i}`)
const namespaces = Array.from({ length: 20 }, (_, i) => `ns${i}`)
const sites = Array.from({ length: 10 }, (_, i) => `site${i}.example`)
const risky = new Set(["exec", "browser", "filesystem_write", "external_send"])

/** The fixed universe requests and rules are drawn from. */
export const makeUniverse = (seed = 42) => {
  const r = rng(seed)
  const pick = (list) => list[Math.floor(r() * list.length)]
  const tools = []
  for (const ns of namespaces) {
    for (let j = 0; j < 10; j++) {
      const group = pick(groups)
      tools.push({ name: `${ns}.tool${j}`, group, riskClass: pick(riskFor[group]) })
    }
  }
  const hosts = []
  for (const site of sites) {
    for (let j = 0; j < 10; j++) {
      const v6 = r() < 0.2
      const ip = v6
        ? `fd00:${Math.floor(r() * 0xffff).toString(16)}::${j + 1}`
        : r() < 0.5
          ? `10.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${j + 1}`
          : `93.184.${Math.floor(r() * 256)}.${j + 1}`
      hosts.push({ name: `h${j}.${site}`, ip })
    }
  }
  const actors = Array.from({ length: 50 }, (_, i) => ({
    id: `u-${i}`,
    roles: roles.filter(() => r() < 0.3)
  }))
  return { tools, hosts, actors }
}

/**
 * One rule drawn from `r` over `targets` (the tools, namespaces, groups, hosts and sites its
 * resource matchers may name). Layers, subjects and conditions are drawn from the universe
 * requests use, so a rule over other targets still lands in the same index entries.
 */
const drawRule = (r, targets, id) => {
  const pick = (list) => list[Math.floor(r() * list.length)]
  const effect = r() < 0.7 ? "allow" : "deny"
  const layerDraw = r()
  const layer = layerDraw < 0.4 ? "deployment" : layerDraw < 0.8 ? "customer_instance" : "agent_profile"
  const key =
    layer === "customer_instance" ? pick(instances) : layer === "agent_profile" ? pick(agents) : undefined
  const action = r() < 0.75 ? "tool.invoke" : "egress.fetch"
  let target
  if (action === "tool.invoke") {
    const t = r()
    target =
      t < 0.5
        ? { kind: "name", value: pick(targets.tools).name }
        : t < 0.7
          ? { kind: "glob", value: `${pick(targets.namespaces)}.*` }
          : { kind: "group", value: pick(targets.groups) }
  } else {
    target =
      r() < 0.5
        ? { kind: "name", value: pick(targets.hosts).name }
        : { kind: "glob", value: `*.${pick(targets.sites)}` }
  }
  const role = r() < 0.3 ? pick(roles) : undefined
  const sandboxed = r() < 0.1 ? r() < 0.5 : undefined
  let condition
  const c = r()
  if (c < 0.15) condition = { kind: r() < 0.5 ? "gt" : "lte", value: Math.floor(r() * 1000) }
  else if (c < 0.25 && action === "tool.invoke") condition = { kind: "suffix", value: pick(sites) }
  else if (c < 0.3 && action === "egress.fetch")
    condition = { kind: "cidr", value: r() < 0.7 ? "10.0.0.0/8" : "fd00::/8" }
  return { id, effect, layer, key, action, target, role, sandboxed, condition }
}

/**
 * `count` rules in the neutral form over the tools and hosts requests use, seeded by the count
 * so each size is its own rule set. The bigger the set, the more rules each request matches.
 */
export const makeRules = (universe, count, seed = 7) => {
  const r = rng(seed * 1_000_003 + count)
  const targets = { tools: universe.tools, namespaces, groups, hosts: universe.hosts, sites }
  return Array.from({ length: count }, (_, i) => drawRule(r, targets, `r${i}`))
}

/** Rules of the constant-matches family that every size shares. */
export const coreRuleCount = 10

/**
 * Tools, groups and hosts no request names: what the added rules of `makeConstantRules`
 * govern. Groups are declared by the policy (`group:ext0` ...); casbin learns the tools' groups.
 */
export const makeElsewhere = (seed = 43) => {
  const r = rng(seed)
  const pick = (list) => list[Math.floor(r() * list.length)]
  const extGroups = Array.from({ length: 20 }, (_, i) => `group:ext${i}`)
  const extNamespaces = Array.from({ length: 200 }, (_, i) => `ext${i}`)
  const extSites = Array.from({ length: 100 }, (_, i) => `ext-site${i}.example`)
  const tools = extNamespaces.flatMap((ns) =>
    Array.from({ length: 10 }, (_, j) => ({ name: `${ns}.tool${j}`, group: pick(extGroups) }))
  )
  const hosts = extSites.flatMap((site) => Array.from({ length: 10 }, (_, j) => ({ name: `h${j}.${site}` })))
  return { tools, namespaces: extNamespaces, groups: extGroups, hosts, sites: extSites }
}

/**
 * `count` rules whose matches per request do not depend on `count`: ten broad rules over the
 * requests' tools and hosts, the same at every size (one per tool group, one on a tool-name
 * suffix, three on domains; any actor; effects, sandbox flags and conditions drawn as in
 * `makeRules`), then `count - 10` rules drawn like `makeRules` but over `elsewhere`.
 */
export const makeConstantRules = (universe, elsewhere, count, seed = 11) => {
  if (count < coreRuleCount) throw new Error(`the constant-matches family starts at ${coreRuleCount} rules`)
  const r = rng(seed)
  const targets = { tools: universe.tools, namespaces, groups, hosts: universe.hosts, sites }
  const broad = [
    ...groups.map((value) => ({ action: "tool.invoke", target: { kind: "group", value } })),
    { action: "tool.invoke", target: { kind: "glob", value: "*.tool3" } },
    { action: "egress.fetch", target: { kind: "glob", value: "*.example" } },
    { action: "egress.fetch", target: { kind: "glob", value: `*.${sites[0]}` } },
    { action: "egress.fetch", target: { kind: "name", value: universe.hosts[1].name } }
  ]
  const core = broad.map(({ action, target }, i) => {
    const drawn = drawRule(r, targets, `c${i}`)
    const c = drawn.condition
    return {
      ...drawn,
      layer: i === 3 || i === 8 ? "customer_instance" : "deployment",
      key: i === 3 || i === 8 ? instances[i] : undefined,
      action,
      target,
      role: undefined,
      // Conditions only where all engines evaluate them: argument facts on tools, IP ranges on hosts.
      condition:
        (c?.kind === "suffix" && action !== "tool.invoke") ||
        (c?.kind === "cidr" && action !== "egress.fetch")
          ? undefined
          : c
    }
  })
  const added = rng(seed * 1_000_003 + count)
  const rest = Array.from({ length: count - coreRuleCount }, (_, i) => drawRule(added, elsewhere, `x${i}`))
  return [...core, ...rest]
}

/** At least `count` distinct requests, each in the three engines' shapes. */
export const makeRequests = (universe, count = 1200, seed = 99) => {
  const r = rng(seed)
  const pick = (list) => list[Math.floor(r() * list.length)]
  const seen = new Set()
  const out = []
  let guard = 0
  while (out.length < count && guard++ < count * 20) {
    const actor = pick(universe.actors)
    const instance = pick(instances)
    const agent = r() < 0.7 ? pick(agents) : undefined
    const sandboxed = r() < 0.5
    const action = r() < 0.75 ? "tool.invoke" : "egress.fetch"
    const tool = action === "tool.invoke" ? pick(universe.tools) : undefined
    const host = action === "egress.fetch" ? pick(universe.hosts) : undefined
    const amount = r() < 0.6 ? Math.floor(r() * 1200) : undefined
    const recipient = r() < 0.5 ? `${r() < 0.5 ? "mail." : ""}${pick(sites)}` : undefined
    const neutral = { actor, instance, agent, sandboxed, action, tool, host, amount, recipient }
    const key = JSON.stringify([
      actor.id,
      instance,
      agent,
      sandboxed,
      action,
      tool?.name,
      host?.name,
      amount,
      recipient
    ])
    if (seen.has(key)) continue
    seen.add(key)
    out.push({
      neutral,
      ours: oursRequest(neutral),
      cedar: cedarRequest(neutral),
      casbin: casbinRequest(neutral)
    })
  }
  return out
}

// ---------------------------------------------------------------- BGA policy

const oursRequest = (n) => {
  const facts = {}
  if (n.amount !== undefined) facts.amount = n.amount
  if (n.recipient !== undefined) facts.recipient = n.recipient
  return {
    subject: {
      actor: { kind: "user", id: n.actor.id, roles: n.actor.roles },
      customerInstanceId: n.instance,
      environment: "production",
      ...(n.agent === undefined ? {} : { agentId: n.agent })
    },
    action: n.action,
    resource: n.tool
      ? {
          kind: "tool",
          name: n.tool.name,
          groups: [n.tool.group],
          ...(n.tool.riskClass === undefined ? {} : { riskClass: n.tool.riskClass })
        }
      : { kind: "host", name: n.host.name, attributes: { ip: n.host.ip } },
    context: { sandboxed: n.sandboxed, facts }
  }
}

/** The rule set as a BGA policy document. */
export const toDocument = (rules, declaredGroups = []) => {
  const doc = { version: 1, deployment: { rules: [] }, customerInstances: {}, agentProfiles: {} }
  if (declaredGroups.length > 0) doc.groups = declaredGroups
  for (const rule of rules) {
    const out = { id: rule.id, effect: rule.effect, rationale: `bench rule ${rule.id}`, actions: rule.action }
    out.resource = { names: rule.target.value }
    if (rule.role) out.subject = { roles: rule.role }
    if (rule.sandboxed !== undefined) out.context = { sandboxed: rule.sandboxed }
    const c = rule.condition
    if (c?.kind === "gt" || c?.kind === "lte") out.when = [{ fact: "amount", op: c.kind, value: c.value }]
    if (c?.kind === "suffix") out.when = [{ fact: "recipient", op: "domainSuffix", value: c.value }]
    if (c?.kind === "cidr") out.when = [{ attribute: "ip", op: "cidr", value: c.value }]
    if (rule.layer === "deployment") doc.deployment.rules.push(out)
    else {
      const bucket = rule.layer === "customer_instance" ? doc.customerInstances : doc.agentProfiles
      bucket[rule.key] ??= { rules: [] }
      bucket[rule.key].rules.push(out)
    }
  }
  return doc
}

// ---------------------------------------------------------------- Cedar

const cedarString = (s) => JSON.stringify(s)

/** The rule set as Cedar policy text, with the platform's sandbox_only baseline as a forbid. */
export const cedarPolicies = (rules) => {
  const policies = [
    `@id("platform.risky-tools-sandbox-only")
forbid (principal, action == Action::"tool.invoke", resource is Tool)
when { resource has riskClass && ["exec", "browser", "filesystem_write", "external_send"].contains(resource.riskClass) && !context.sandboxed };`
  ]
  for (const rule of rules) {
    const type = rule.action === "tool.invoke" ? "Tool" : "Host"
    let scope
    const when = []
    if (rule.target.kind === "name") scope = `resource == ${type}::${cedarString(rule.target.value)}`
    else if (rule.target.kind === "group") scope = `resource in Group::${cedarString(rule.target.value)}`
    else {
      scope = `resource is ${type}`
      when.push(`resource.name like ${cedarString(rule.target.value)}`)
    }
    if (rule.layer === "customer_instance") when.push(`principal.ci == ${cedarString(rule.key)}`)
    if (rule.layer === "agent_profile")
      when.push(`principal has agent && principal.agent == ${cedarString(rule.key)}`)
    if (rule.role) when.push(`principal in Role::${cedarString(rule.role)}`)
    if (rule.sandboxed !== undefined) when.push(`context.sandboxed == ${rule.sandboxed}`)
    const c = rule.condition
    if (c?.kind === "gt") when.push(`context has amount && context.amount > ${c.value}`)
    if (c?.kind === "lte") when.push(`context has amount && context.amount <= ${c.value}`)
    if (c?.kind === "suffix")
      when.push(
        `context has recipient && (context.recipient == ${cedarString(c.value)} || context.recipient like ${cedarString(`*.${c.value}`)})`
      )
    if (c?.kind === "cidr") when.push(`resource.ip.isInRange(ip(${cedarString(c.value)}))`)
    policies.push(
      `@id(${cedarString(rule.id)})
${rule.effect === "allow" ? "permit" : "forbid"} (principal, action == Action::${cedarString(rule.action)}, ${scope})${
        when.length > 0 ? `\nwhen { ${when.join(" && ")} }` : ""
      };`
    )
  }
  return policies.join("\n")
}

const cedarRequest = (n) => {
  const principal = { type: "User", id: n.actor.id }
  const principalAttrs = { ci: n.instance }
  if (n.agent !== undefined) principalAttrs.agent = n.agent
  const entities = [
    {
      uid: principal,
      attrs: principalAttrs,
      parents: n.actor.roles.map((role) => ({ type: "Role", id: role }))
    }
  ]
  let resource
  if (n.tool) {
    resource = { type: "Tool", id: n.tool.name }
    const attrs = { name: n.tool.name }
    if (n.tool.riskClass !== undefined) attrs.riskClass = n.tool.riskClass
    entities.push({ uid: resource, attrs, parents: [{ type: "Group", id: n.tool.group }] })
  } else {
    resource = { type: "Host", id: n.host.name }
    entities.push({
      uid: resource,
      attrs: { name: n.host.name, ip: { __extn: { fn: "ip", arg: n.host.ip } } },
      parents: []
    })
  }
  const context = { sandboxed: n.sandboxed }
  if (n.amount !== undefined) context.amount = n.amount
  if (n.recipient !== undefined) context.recipient = n.recipient
  return { principal, action: { type: "Action", id: n.action }, resource, context, entities }
}

// ---------------------------------------------------------------- casbin

/**
 * A casbin ABAC model: roles through `g` (actor -> role), tool groups through `g2` (tool ->
 * group), risky classes through `g3` (class -> "risky"), globs with casbin's `globMatch`, CIDR
 * with its `ipMatch`. Deny overrides, default deny.
 */
export const casbinModel = `
[request_definition]
r = sub, act, obj, ctx

[policy_definition]
p = act, scope, tkind, target, role, sandbox, ckind, cvalue, eft

[role_definition]
g = _, _
g2 = _, _
g3 = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = r.act == p.act && (p.scope == "*" || p.scope == r.sub.ci || p.scope == r.sub.agent) && ((p.tkind == "name" && r.obj.name == p.target) || (p.tkind == "glob" && globMatch(r.obj.name, p.target)) || (p.tkind == "group" && g2(r.obj.name, p.target)) || (p.tkind == "risky" && g3(r.obj.risk, "risky") && r.ctx.sandboxed == "false")) && (p.role == "*" || g(r.sub.id, p.role)) && (p.sandbox == "*" || p.sandbox == r.ctx.sandboxed) && (p.ckind == "none" || (p.ckind == "gt" && r.ctx.amount > p.cvalue) || (p.ckind == "lte" && r.ctx.hasAmount == "true" && r.ctx.amount <= p.cvalue) || (p.ckind == "suffix" && (r.ctx.recipient == p.cvalue || globMatch(r.ctx.recipient, "*." + p.cvalue))) || (p.ckind == "cidr" && r.obj.ip != "" && ipMatch(r.obj.ip, p.cvalue)))
`

/** The rule set as casbin policy lines (`p`), plus the grouping lines (`g`, `g2`, `g3`). */
export const casbinPolicies = (rules, universe) => {
  const policies = [["tool.invoke", "*", "risky", "", "*", "*", "none", "", "deny"]]
  for (const rule of rules) {
    const scope =
      rule.layer === "customer_instance"
        ? `ci:${rule.key}`
        : rule.layer === "agent_profile"
          ? `agent:${rule.key}`
          : "*"
    const c = rule.condition
    policies.push([
      rule.action,
      scope,
      rule.target.kind,
      rule.target.value,
      rule.role ?? "*",
      rule.sandboxed === undefined ? "*" : String(rule.sandboxed),
      c?.kind ?? "none",
      c === undefined ? "" : String(c.value),
      rule.effect
    ])
  }
  const g = universe.actors.flatMap((a) => a.roles.map((role) => [a.id, role]))
  const g2 = universe.tools.map((t) => [t.name, t.group])
  const g3 = [...risky].map((c) => [c, "risky"])
  return { policies, g, g2, g3 }
}

const casbinRequest = (n) => ({
  sub: { id: n.actor.id, ci: `ci:${n.instance}`, agent: n.agent === undefined ? "-" : `agent:${n.agent}` },
  act: n.action,
  obj: n.tool
    ? { name: n.tool.name, risk: n.tool.riskClass ?? "none", ip: "" }
    : { name: n.host.name, risk: "none", ip: n.host.ip },
  ctx: {
    sandboxed: String(n.sandboxed),
    // Numbers compare as numbers; an absent amount must fail every comparison.
    amount: n.amount ?? Number.NaN,
    hasAmount: String(n.amount !== undefined),
    recipient: n.recipient ?? ""
  }
})
