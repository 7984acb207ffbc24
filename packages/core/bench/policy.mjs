// `pnpm bench:policy`: the BGA policy evaluator (full decision trace included) against
// @cedar-policy/cedar-wasm (preparsed policy set, statefulIsAuthorized) and casbin (enforceSync),
// side by side in one process on the same seeded workload. First every engine must agree on
// every request (the run fails otherwise); then each is timed. BENCH_QUICK=1 shortens the
// timing windows. The last line of output is one JSON object with the figures.
import { performance } from "node:perf_hooks"
import * as cedar from "@cedar-policy/cedar-wasm/nodejs"
import { newEnforcer, newModelFromString } from "casbin"
import { Result } from "effect"
import { Policy } from "../dist/index.js"
import {
  casbinModel,
  casbinPolicies,
  cedarPolicies,
  makeRequests,
  makeRules,
  makeUniverse,
  toDocument
} from "./policy-workload.mjs"

const quick = process.env.BENCH_QUICK === "1"
const ruleCounts = [10, 50, 200, 1000]
// Engines are timed in alternating rounds and the median round is reported, so that a burst of
// load from another process on the machine distorts one round, not the result.
const rounds = quick ? 3 : 5
const windowMs = quick ? 80 : 400
const universe = makeUniverse()
const requests = makeRequests(universe, 1200)
if (requests.length < 1000) throw new Error(`workload has only ${requests.length} distinct requests`)

const fail = (message) => {
  console.error(`FAIL: ${message}`)
  process.exit(1)
}

const buildOurs = (rules) => {
  const made = Policy.makePolicy(toDocument(rules))
  if (Result.isFailure(made)) fail(`BGA policy rejected the generated rules: ${made.failure.message}`)
  const policy = made.success
  const decide = (request) => Policy.decide(policy, request.ours).effect === "allow"
  // Every matched rule is listed in the trace, so the cost of a decision follows this figure.
  decide.matchedPerDecision = () =>
    requests.reduce((sum, request) => sum + Policy.decide(policy, request.ours).matchedRules.length, 0) /
    requests.length
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

const buildCasbin = async (rules) => {
  const enforcer = await newEnforcer(newModelFromString(casbinModel))
  const { policies, g, g2, g3 } = casbinPolicies(rules, universe)
  await enforcer.addPolicies(policies)
  if (g.length > 0) await enforcer.addNamedGroupingPolicies("g", g)
  await enforcer.addNamedGroupingPolicies("g2", g2)
  await enforcer.addNamedGroupingPolicies("g3", g3)
  return (request) => {
    const c = request.casbin
    return enforcer.enforceSync(c.sub, c.act, c.obj, c.ctx)
  }
}

/**
 * Mean ns per decision: cycles through the workload, in order, until the window has passed and
 * at least `minDecisions` were made (full mode: every request at least once).
 */
const minDecisions = quick ? 240 : requests.length
const time = (decide) => {
  let decisions = 0
  let sink = 0
  let next = 0
  const start = performance.now()
  let elapsed = 0
  do {
    for (let i = 0; i < 60; i++) {
      if (decide(requests[next])) sink++
      next = next + 1 === requests.length ? 0 : next + 1
    }
    decisions += 60
    elapsed = performance.now() - start
  } while (elapsed < windowMs || decisions < minDecisions)
  if (sink < 0) console.log(sink)
  return (elapsed * 1e6) / decisions
}

const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits

console.log(
  `policy bench: ${requests.length} distinct requests, rule sets of ${ruleCounts.join("/")} rules, ` +
    `${quick ? "quick" : "full"} mode (median of ${rounds} rounds of >= ${windowMs} ms per engine and size), node ${process.version}, ` +
    `cedar ${cedar.getCedarVersion()}`
)
const results = []
for (const count of ruleCounts) {
  const rules = makeRules(universe, count)
  const engines = {
    ours: buildOurs(rules),
    cedar_wasm: buildCedar(rules, `bench-${count}`),
    casbin: await buildCasbin(rules)
  }
  // Agreement first: one pass of every engine over every request (also the warm-up).
  let allowed = 0
  for (const request of requests) {
    const ours = engines.ours(request)
    const cedarAnswer = engines.cedar_wasm(request)
    const casbinAnswer = engines.casbin(request)
    if (ours !== cedarAnswer || ours !== casbinAnswer) {
      fail(
        `engines disagree at ${count} rules: ours=${ours} cedar=${cedarAnswer} casbin=${casbinAnswer} on ${JSON.stringify(request.neutral)}`
      )
    }
    if (ours) allowed++
  }
  const samples = { ours: [], cedar_wasm: [], casbin: [] }
  // One discarded round per engine first: the JIT must have compiled each engine's hot path
  // for this rule set before anything is measured.
  for (const name of Object.keys(samples)) time(engines[name])
  for (let round = 0; round < rounds; round++) {
    for (const name of Object.keys(samples)) samples[name].push(time(engines[name]))
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const ns = {
    ours: median(samples.ours),
    cedar_wasm: median(samples.cedar_wasm),
    casbin: median(samples.casbin)
  }
  const row = {
    rules: count,
    allowed_share: round(allowed / requests.length, 3),
    matched_rules_per_decision: round(engines.ours.matchedPerDecision(), 2),
    ours_ns: round(ns.ours),
    cedar_wasm_ns: round(ns.cedar_wasm),
    casbin_ns: round(ns.casbin),
    ratio_vs_cedar_wasm: round(ns.cedar_wasm / ns.ours),
    ratio_vs_casbin: round(ns.casbin / ns.ours)
  }
  results.push(row)
  console.log(
    `${String(count).padStart(5)} rules: all 3 engines agree on ${requests.length} requests (${round(100 * row.allowed_share)}% allowed, ${row.matched_rules_per_decision} matched rules per trace) | ` +
      `ours ${row.ours_ns} ns (with trace) | cedar-wasm ${row.cedar_wasm_ns} ns (${row.ratio_vs_cedar_wasm}x) | ` +
      `casbin ${row.casbin_ns} ns (${row.ratio_vs_casbin}x)`
  )
}

const at50 = results.find((r) => r.rules === 50)
const growth = results.at(-1).ours_ns / results[0].ours_ns
const targets = {
  cedar_wasm_50x_at_50_rules: at50.ratio_vs_cedar_wasm >= 50,
  casbin_20x_at_50_rules: at50.ratio_vs_casbin >= 20,
  growth_under_2x_from_10_to_1000_rules: growth < 2
}
console.log(
  `at 50 rules: ${at50.ratio_vs_cedar_wasm}x cedar-wasm (target 50x), ${at50.ratio_vs_casbin}x casbin (target 20x); ` +
    `our cost from 10 to 1000 rules: x${round(growth, 2)} (target < 2), as matched rules per trace go from ` +
    `${results[0].matched_rules_per_decision} to ${results.at(-1).matched_rules_per_decision}`
)
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
    growth_10_to_1000_rules: round(growth, 2),
    targets_met: targets,
    by_rule_count: results
  })
)
