// Per-request cost of the egress guard against plain undici on the same loopback keep-alive
// server, side by side in one process. Build first (`pnpm build`); run with `pnpm bench:egress`.
// BENCH_QUICK=1 finishes in well under 30 s. The last line printed is one JSON object.
import { createServer } from "node:http"
import { Effect, Exit, Scope } from "effect"
import { Agent, fetch, request } from "undici"
import { decodeConfig } from "../dist/config/index.js"
import { createEgressGuard, make, staticResolver } from "../dist/egress/index.js"

const quick = process.env.BENCH_QUICK === "1"
const perRound = quick ? 1000 : 5000
const rounds = quick ? 5 : 7
const warmup = quick ? 500 : 2000

const payload = Buffer.alloc(512, 120)
const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain", "content-length": payload.length })
  res.end(payload)
})
server.keepAliveTimeout = 60_000
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
const { port } = server.address()
const literalUrl = `http://127.0.0.1:${port}/item`
const namedUrl = `http://bench.test:${port}/item`

// The bench instance opens exactly the loopback server through its audited per-instance
// setting; the platform defaults stay closed.
const decoded = decodeConfig({
  customerInstances: {
    bench: {
      security: {
        egress: {
          allowlist: ["127.0.0.1", "bench.test"],
          allowPrivateRanges: ["127.0.0.1/32"],
          allowedPorts: [port]
        }
      }
    }
  }
})
if (decoded._tag !== "Success") throw decoded.failure
const config = decoded.success
let recorded = 0
const recorder = { record: () => Effect.sync(() => void recorded++) }
const resolver = staticResolver({ "bench.test": ["127.0.0.1"] })
const context = {
  customerInstanceId: "bench",
  environment: "bench",
  actor: { kind: "system", id: "bench", roles: [] }
}

const agent = new Agent({ keepAliveTimeout: 60_000 })
const guard = createEgressGuard({ config, recorder, resolver })
const scope = Effect.runSync(Scope.make())
const effectGuard = await Effect.runPromise(Scope.provide(make({ config, recorder, resolver }), scope))

const variants = {
  undici_fetch: async () => {
    const res = await fetch(literalUrl, { dispatcher: agent })
    await res.arrayBuffer()
  },
  undici_request: async () => {
    const res = await request(literalUrl, { dispatcher: agent })
    await res.body.arrayBuffer()
  },
  guard_literal: async () => {
    await guard.fetch({ url: literalUrl }, context)
  },
  guard_named: async () => {
    await guard.fetch({ url: namedUrl }, context)
  },
  guard_effect: async () => {
    await Effect.runPromise(effectGuard.fetch({ url: literalUrl }, context))
  }
}

const time = async (fn, n) => {
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await fn()
  return Number(process.hrtime.bigint() - start) / 1000 / n
}

for (const fn of Object.values(variants)) await time(fn, warmup)
const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]))
for (let r = 0; r < rounds; r++) {
  // Rotate the order each round so no variant always runs on a warmer or colder machine.
  const names = Object.keys(variants)
  const order = names.slice(r % names.length).concat(names.slice(0, r % names.length))
  for (const name of order) samples[name].push(await time(variants[name], perRound))
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
const us = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))
const round2 = (x) => Math.round(x * 100) / 100

for (const [name, value] of Object.entries(us))
  console.log(`${name.padEnd(16)} ${value.toFixed(1)} us/request`)
const ratio = round2(us.guard_literal / us.undici_fetch)
console.log(`guard (IP literal) vs plain undici fetch: ${ratio}x (target <= 1.2x)`)
console.log(`guard (named host, pinned) vs plain undici fetch: ${round2(us.guard_named / us.undici_fetch)}x`)
console.log(
  `guard vs undici request (the guard's own transport): ${round2(us.guard_literal / us.undici_request)}x`
)

await Effect.runPromise(Scope.close(scope, Exit.void))
await guard.close()
await agent.close()
server.closeAllConnections()
server.close()

console.log(
  JSON.stringify({
    bench: "egress",
    quick,
    requests_per_round: perRound,
    rounds,
    recorded_events: recorded,
    us_per_request: Object.fromEntries(Object.entries(us).map(([k, v]) => [k, round2(v)])),
    ratio_guard_vs_undici_fetch: ratio,
    ratio_guard_named_vs_undici_fetch: round2(us.guard_named / us.undici_fetch),
    ratio_guard_effect_vs_undici_fetch: round2(us.guard_effect / us.undici_fetch),
    ratio_guard_vs_undici_request: round2(us.guard_literal / us.undici_request),
    target_ratio_vs_fetch: 1.2
  })
)
