// Where a policy decision spends its time, stage by stage, on the workload of `pnpm
// bench:policy` (both families, 10 and 1,000 rules). Diagnostic, not a benchmark of record:
// run `pnpm build && node packages/core/bench/policy-stages.mjs`. Each stage is the decision
// cut short, timed over every request in turn (CPU time of this thread, median of rounds that
// visit every stage and rule set in turn):
//   index lookup  the platform rules' tests, then each layer's candidate list for the request;
//   rule checks   added: every candidate tested for what depends on the request;
//   trace         added: combining, the list of matched rules, the trace, its id and timestamp.
// Decision ids and timestamps are also timed on their own. The last line is one JSON object.
import { performance } from "node:perf_hooks"
import { Result } from "effect"
import { Policy } from "../dist/index.js"
import { candidatesOf, forEachCandidate } from "../dist/policy/internal/candidates.js"
import { isoNow, uuidV7 } from "../dist/policy/internal/clock.js"
import { matchesRequest } from "../dist/policy/internal/matcher.js"
import {
  makeConstantRules,
  makeElsewhere,
  makeRequests,
  makeRules,
  makeUniverse,
  toDocument
} from "./policy-workload.mjs"

const quick = process.env.BENCH_QUICK === "1"
const rounds = quick ? 3 : 7
const windowMs = quick ? 40 : 100
const universe = makeUniverse()
const elsewhere = makeElsewhere()
const requests = makeRequests(universe, 1200).map((r) => r.ours)
const cpuTime = process.threadCpuUsage ?? process.cpuUsage

const layer = (index, request, test) => {
  if (index === undefined) return 0
  const bucket = index.byAction.get(request.action) ?? index.fallback
  if (bucket === undefined) return 0
  const rules = candidatesOf(bucket, request)
  if (rules === undefined) {
    // The bucket's first sighting of this resource (the warm-up round): walked directly.
    let kept = 0
    forEachCandidate(bucket, request, (rule) => {
      if (!test || rule.free || matchesRequest(rule.matcher, request)) kept++
    })
    return kept
  }
  if (!test) return rules.length
  let kept = 0
  for (let i = 0; i < rules.length; i++)
    if (rules[i].free || matchesRequest(rules[i].matcher, request)) kept++
  return kept
}

/** The decision up to its candidate lists (`test` false) or up to its rule checks. */
const collect = (policy, request, test) => {
  let kept = 0
  for (const rule of policy.platform) if (rule.test(request)) kept++
  if (policy.gate.test(request)) kept++
  kept += layer(policy.deployment, request, test)
  if (policy.instances.size > 0)
    kept += layer(policy.instances.get(request.subject.customerInstanceId), request, test)
  if (policy.agents.size > 0 && request.subject.agentId !== undefined)
    kept += layer(policy.agents.get(request.subject.agentId), request, test)
  return kept
}

const cycling = (f) => {
  let next = 0
  return () => {
    const request = requests[next]
    next = next + 1 === requests.length ? 0 : next + 1
    return f(request)
  }
}

const time = (f) => {
  let calls = 0
  let sink = 0
  const cpu = cpuTime()
  const start = performance.now()
  do {
    for (let i = 0; i < 100; i++) sink += f()
    calls += 100
  } while (performance.now() - start < windowMs)
  const used = cpuTime(cpu)
  if (sink < 0) console.log(sink)
  return ((used.user + used.system) * 1e3) / calls
}

const families = {
  growing_matches: (count) => toDocument(makeRules(universe, count)),
  constant_matches: (count) => toDocument(makeConstantRules(universe, elsewhere, count), elsewhere.groups)
}
const cells = []
for (const [family, document] of Object.entries(families)) {
  for (const count of [10, 1000]) {
    const policy = Result.getOrThrow(Policy.makePolicy(document(count)))
    const compiled = policy.compiled
    cells.push({
      family,
      count,
      stages: {
        lookup: cycling((request) => collect(compiled, request, false)),
        checks: cycling((request) => collect(compiled, request, true)),
        full: cycling((request) => Policy.decide(policy, request).matchedRules.length)
      },
      samples: { lookup: [], checks: [], full: [] }
    })
  }
}
// Many decisions share a millisecond; the id's head and the timestamp text are made once in it.
const instant = Date.now()
const idAndTs = () => uuidV7(instant).length + isoNow(instant).length
const clockSamples = { date_now: [], id_and_ts: [] }

for (let r = -1; r < rounds; r++) {
  for (const cell of cells) {
    for (const [name, f] of Object.entries(cell.stages)) {
      const ns = time(f)
      if (r >= 0) cell.samples[name].push(ns)
    }
  }
  const now = time(() => Date.now() & 1)
  const id = time(idAndTs)
  if (r >= 0) {
    clockSamples.date_now.push(now)
    clockSamples.id_and_ts.push(id)
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const round = (x) => Math.round(x)
const rows = cells.map((cell) => {
  const m = Object.fromEntries(Object.entries(cell.samples).map(([k, v]) => [k, median(v)]))
  return {
    family: cell.family,
    rules: cell.count,
    full_ns: round(m.full),
    index_lookup_ns: round(m.lookup),
    rule_checks_ns: round(m.checks - m.lookup),
    trace_ns: round(m.full - m.checks)
  }
})
for (const row of rows) {
  console.log(
    `${row.family.padEnd(16)} ${String(row.rules).padStart(4)} rules: ${row.full_ns} ns = index lookup ${row.index_lookup_ns} + rule checks ${row.rule_checks_ns} + trace ${row.trace_ns} (combining, matched rules, trace, id, ts)`
  )
}
const clock = {
  date_now_ns: round(median(clockSamples.date_now)),
  id_and_ts_ns: round(median(clockSamples.id_and_ts))
}
console.log(
  `on their own: Date.now() ${clock.date_now_ns} ns; a decision id and timestamp within one millisecond ${clock.id_and_ts_ns} ns`
)
console.log(
  JSON.stringify({ bench: "policy-stages", mode: quick ? "quick" : "full", ...clock, by_rule_set: rows })
)
