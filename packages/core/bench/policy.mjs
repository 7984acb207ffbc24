// `pnpm bench:policy`: the BGA policy evaluator (full decision trace included) against
// @cedar-policy/cedar-wasm (preparsed policy set, statefulIsAuthorized) and casbin (enforceSync),
// side by side in one process on the same seeded requests, for two families of rule sets of
// 10, 50, 200 and 1,000 rules (policy-workload.mjs):
//   - growing matches: every rule is over the tools and hosts requests use, so the bigger the
//     set, the more rules each request matches (each is listed in its trace);
//   - constant matches: ten broad rules over those tools and hosts, the rest over tools, groups
//     and hosts no request names, so each request matches the same rules at every size and the
//     growth left is what more rules cost the index.
// First every engine must agree on every request of every rule set (the run fails otherwise),
// and in the constant family every request must match the same rules at every size; then each
// is timed. BENCH_QUICK=1 shortens the timing windows and times cedar-wasm and casbin on their
// agreement pass. The last line of output is one JSON object with the figures.
import { performance } from "node:perf_hooks"
import * as cedar from "@cedar-policy/cedar-wasm/nodejs"
import { newEnforcer, newModelFromString } from "casbin"
import { Result } from "effect"
import { Policy } from "../dist/index.js"
import {
  casbinModel,
  casbinPolicies,
  cedarPolicies,
  coreRuleCount,
  makeConstantRules,
  makeElsewhere,
  makeRequests,
  makeRules,
  makeUniverse,
  toDocument
} from "./policy-workload.mjs"

const quick = process.env.BENCH_QUICK === "1"
const ruleCounts = [10, 50, 200, 1000]
// Time is the CPU time of this process (process.cpuUsage: every thread, garbage collection
// included), not the wall clock: on a shared machine the wall clock also counts the time other
// processes held the cores. Our evaluator is timed in rounds that visit every rule set in turn,
// and the median round is reported, so that what load remains distorts one round of every size
// alike, not the growth from 10 to 1,000 rules. In full mode cedar-wasm and casbin take their
// turns in the same rounds; in quick mode they are timed once, on the agreement pass.
const rounds = quick ? 3 : 5
const windowMs = quick ? 80 : 400
const universe = makeUniverse()
const elsewhere = makeElsewhere()
const requests = makeRequests(universe, 1200)
if (requests.length < 1000) throw new Error(`workload has only ${requests.length} distinct requests`)

const families = [
  {
    key: "growing_matches",
    label: "growing matches",
    rules: (count) => makeRules(universe, count),
    groups: [],
    casbinUniverse: universe
  },
  {
    key: "constant_matches",
    label: "constant matches",
    rules: (count) => makeConstantRules(universe, elsewhere, count),
    groups: elsewhere.groups,
    casbinUniverse: { ...universe, tools: [...universe.tools, ...elsewhere.tools] }
  }
]

const fail = (message) => {
  console.error(`FAIL: ${message}`)
  process.exit(1)
}

const buildOurs = (rules, groups) => {
  const made = Policy.makePolicy(toDocument(rules, groups))
  if (Result.isFailure(made)) fail(`BGA policy rejected the generated rules: ${made.failure.message}`)
  const policy = made.success
  const decide = (request) => Policy.decide(policy, request.ours).effect === "allow"
  // Every matched rule is listed in the trace, so the cost of a decision follows these.
  decide.matchedIds = (request) =>
    Policy.decide(policy, request.ours)
      .matchedRules.map((m) => m.ruleId)
      .join(",")
  return decide
}

const buildCedar = (rules, id) => {
  const parsed = cedar.preparsePolicySet(id, { staticPolicies: cedarPolicies(rules) })
  if (parsed.type !== "success")
    fail(`Cedar rejected the generated policies: ${JSON.stringify(parsed.errors)}`)
  return (request) => {
    const answer = cedar.statefulIsAuthorized({
      principal: request.cedar.principal,
      action: request.cedar.action,
      resource: request.cedar.resource,
      context: request.cedar.context,
      entities: request.cedar.entities,
      preparsedPolicySetId: id,
      validateRequest: false
    })
    if (answer.type !== "success") fail(`Cedar failed: ${JSON.stringify(answer.errors)}`)
    if (answer.response.diagnostics.errors.length > 0)
      fail(`Cedar policy errors: ${JSON.stringify(answer.response.diagnostics.errors)}`)
    return answer.response.decision === "allow"
  }
}

const buildCasbin = async (rules, casbinUniverse) => {
  const enforcer = await newEnforcer(newModelFromString(casbinModel))
  const { policies, g, g2, g3 } = casbinPolicies(rules, casbinUniverse)
  await enforcer.addPolicies(policies)
  if (g.length > 0) await enforcer.addNamedGroupingPolicies("g", g)
  await enforcer.addNamedGroupingPolicies("g2", g2)
  await enforcer.addNamedGroupingPolicies("g3", g3)
  return (request) => {
    const c = request.casbin
    return enforcer.enforceSync(c.sub, c.act, c.obj, c.ctx)
  }
}

/** CPU ns this process has used since `since` (a `process.cpuUsage()` reading). */
const cpuNs = (since) => {
  const used = process.cpuUsage(since)
  return (used.user + used.system) * 1e3
}

/**
 * Mean CPU ns per decision: cycles through the workload, in order, until the window (wall
 * clock) has passed and at least `minDecisions` were made (full mode: every request once).
 */
const minDecisions = quick ? 240 : requests.length
const time = (decide) => {
  let decisions = 0
  let sink = 0
  let next = 0
  const cpu = process.cpuUsage()
  const start = performance.now()
  do {
    for (let i = 0; i < 60; i++) {
      if (decide(requests[next])) sink++
      next = next + 1 === requests.length ? 0 : next + 1
    }
    decisions += 60
  } while (performance.now() - start < windowMs || decisions < minDecisions)
  const ns = cpuNs(cpu) / decisions
  if (sink < 0) console.log(sink)
  return ns
}

/** One engine over every request once, after a short warm-up: its answers and mean CPU ns. */
const pass = (decide) => {
  for (let i = 0; i < 100; i++) decide(requests[i])
  const answers = new Array(requests.length)
  const cpu = process.cpuUsage()
  for (let i = 0; i < requests.length; i++) answers[i] = decide(requests[i])
  return { answers, ns: cpuNs(cpu) / requests.length }
}

const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const foreign = ["cedar_wasm", "casbin"]

console.log(
  `policy bench: ${requests.length} distinct requests, rule sets of ${ruleCounts.join("/")} rules with growing and with constant matches per request, ` +
    `${quick ? "quick" : "full"} mode (CPU time; ours: median of ${rounds} rounds of >= ${windowMs} ms per rule set; ` +
    `cedar-wasm and casbin: ${quick ? "one pass over every request" : "the same rounds"}), node ${process.version}, ` +
    `cedar ${cedar.getCedarVersion()}`
)

// Agreement first, rule set by rule set: one pass of every engine over every request (also the
// warm-up, and in quick mode the timing of cedar-wasm and casbin). Before it, one discarded pass
// of each engine over a small rule set, so that the first rule set's pass is not also the one
// that compiles each engine's code (cedar-wasm's tier-up in particular).
{
  const rules = families[0].rules(ruleCounts[0])
  pass(buildOurs(rules, families[0].groups))
  pass(buildCedar(rules, "bench-warm-up"))
  pass(await buildCasbin(rules, families[0].casbinUniverse))
}
const cells = []
for (const family of families) {
  let reference
  for (const count of ruleCounts) {
    const rules = family.rules(count)
    const engines = {
      ours: buildOurs(rules, family.groups),
      cedar_wasm: buildCedar(rules, `bench-${family.key}-${count}`),
      casbin: await buildCasbin(rules, family.casbinUniverse)
    }
    const passes = {
      ours: pass(engines.ours),
      cedar_wasm: pass(engines.cedar_wasm),
      casbin: pass(engines.casbin)
    }
    let allowed = 0
    requests.forEach((request, i) => {
      const ours = passes.ours.answers[i]
      const cedarAnswer = passes.cedar_wasm.answers[i]
      const casbinAnswer = passes.casbin.answers[i]
      if (ours !== cedarAnswer || ours !== casbinAnswer) {
        fail(
          `engines disagree at ${count} rules (${family.label}): ours=${ours} cedar=${cedarAnswer} casbin=${casbinAnswer} on ${JSON.stringify(request.neutral)}`
        )
      }
      if (ours) allowed++
    })
    const matched = requests.map(engines.ours.matchedIds)
    if (family.key === "constant_matches") {
      reference ??= matched
      const changed = matched.findIndex((ids, i) => ids !== reference[i])
      if (changed >= 0)
        fail(
          `constant matches at ${count} rules: request ${changed} matches [${matched[changed]}], at ${ruleCounts[0]} rules [${reference[changed]}]`
        )
    }
    const matchedCount = matched.reduce((sum, ids) => sum + (ids === "" ? 0 : ids.split(",").length), 0)
    cells.push({
      family,
      count,
      engines,
      allowed,
      matchedPerDecision: matchedCount / requests.length,
      passNs: { cedar_wasm: passes.cedar_wasm.ns, casbin: passes.casbin.ns },
      samples: { ours: [], cedar_wasm: [], casbin: [] }
    })
  }
}

// One discarded round first: the JIT must have compiled each engine's hot path for every rule
// set before anything is measured.
const timed = quick ? ["ours"] : ["ours", ...foreign]
for (let r = -1; r < rounds; r++) {
  for (const cell of cells) {
    for (const name of timed) {
      const ns = time(cell.engines[name])
      if (r >= 0) cell.samples[name].push(ns)
    }
  }
}

const rowsOf = (family) =>
  cells
    .filter((cell) => cell.family === family)
    .map((cell) => {
      const ns = { ours: median(cell.samples.ours) }
      for (const name of foreign) ns[name] = quick ? cell.passNs[name] : median(cell.samples[name])
      return {
        rules: cell.count,
        allowed_share: round(cell.allowed / requests.length, 3),
        matched_rules_per_decision: round(cell.matchedPerDecision, 2),
        ours_ns: round(ns.ours),
        cedar_wasm_ns: round(ns.cedar_wasm),
        casbin_ns: round(ns.casbin),
        ratio_vs_cedar_wasm: round(ns.cedar_wasm / ns.ours),
        ratio_vs_casbin: round(ns.casbin / ns.ours)
      }
    })

const report = {}
for (const family of families) {
  const rows = rowsOf(family)
  const growth = rows.at(-1).ours_ns / rows[0].ours_ns
  report[family.key] = { rows, growth }
  for (const row of rows) {
    console.log(
      `${family.label.padEnd(16)} ${String(row.rules).padStart(5)} rules: all 3 engines agree on ${requests.length} requests ` +
        `(${round(100 * row.allowed_share)}% allowed, ${row.matched_rules_per_decision} matched rules per trace) | ` +
        `ours ${row.ours_ns} ns (with trace) | cedar-wasm ${row.cedar_wasm_ns} ns (${row.ratio_vs_cedar_wasm}x) | ` +
        `casbin ${row.casbin_ns} ns (${row.ratio_vs_casbin}x)`
    )
  }
}

const growing = report.growing_matches
const constant = report.constant_matches
const at50 = growing.rows.find((r) => r.rules === 50)
const constantAt50 = constant.rows.find((r) => r.rules === 50)
const verdict = (growth) => (growth < 2 ? "target < 2x met" : "target < 2x NOT met")
console.log(
  `our cost from 10 to 1000 rules: x${round(growing.growth, 2)} with growing matches (matched rules per trace ` +
    `${growing.rows[0].matched_rules_per_decision} -> ${growing.rows.at(-1).matched_rules_per_decision}; ${verdict(growing.growth)}), ` +
    `x${round(constant.growth, 2)} with constant matches (${constant.rows[0].matched_rules_per_decision} matched rules per trace at every size, ` +
    `${coreRuleCount} rules over the requests' tools and hosts; ${verdict(constant.growth)})`
)
console.log(
  `at 50 rules (growing matches): ${at50.ratio_vs_cedar_wasm}x cedar-wasm (target 50x), ${at50.ratio_vs_casbin}x casbin (target 20x); ` +
    `constant matches: ${constantAt50.ratio_vs_cedar_wasm}x cedar-wasm, ${constantAt50.ratio_vs_casbin}x casbin`
)
const targets = {
  cedar_wasm_50x_at_50_rules: at50.ratio_vs_cedar_wasm >= 50,
  casbin_20x_at_50_rules: at50.ratio_vs_casbin >= 20,
  growth_under_2x_from_10_to_1000_rules: growing.growth < 2,
  growth_under_2x_constant_matches: constant.growth < 2
}
console.log(
  JSON.stringify({
    bench: "policy",
    mode: quick ? "quick" : "full",
    requests: requests.length,
    rules: 50,
    ours_ns: at50.ours_ns,
    cedar_wasm_ns: at50.cedar_wasm_ns,
    casbin_ns: at50.casbin_ns,
    ratio_vs_cedar_wasm: at50.ratio_vs_cedar_wasm,
    ratio_vs_casbin: at50.ratio_vs_casbin,
    growth_10_to_1000_rules: round(growing.growth, 2),
    growth_10_to_1000_growing_matches: round(growing.growth, 2),
    growth_10_to_1000_constant_matches: round(constant.growth, 2),
    matched_rules_per_decision_constant_matches: constant.rows[0].matched_rules_per_decision,
    ratio_vs_cedar_wasm_constant_matches: constantAt50.ratio_vs_cedar_wasm,
    ratio_vs_casbin_constant_matches: constantAt50.ratio_vs_casbin,
    targets_met: targets,
    by_rule_count: growing.rows,
    by_rule_count_constant_matches: constant.rows
  })
)
