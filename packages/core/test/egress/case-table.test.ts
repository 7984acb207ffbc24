import { readFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Egress from "../../src/egress/index.js"
import { configOf, contextFor, type LoopServer, loopConfig, startServer } from "./support.js"

interface Case {
  readonly id: string
  readonly kind: "url" | "dns" | "redirect"
  readonly instance: string
  readonly url?: string
  readonly location?: string
  readonly status?: number
  readonly method?: string
  readonly expect: "allow" | "block" | "fail"
  readonly reason?: Egress.EgressReason
  readonly note?: string
}

const table = JSON.parse(readFileSync(new URL("./fixtures/cases.json", import.meta.url), "utf8")) as {
  config: Parameters<typeof configOf>[0]
  dns: Record<string, Array<string>>
  cases: Array<Case>
}

describe("egress case table", () => {
  it("holds at least 100 cases, each with a verdict and (unless allowed) a reason", () => {
    expect(table.cases.length).toBeGreaterThanOrEqual(100)
    for (const c of table.cases) {
      expect(c.expect === "allow" || typeof c.reason === "string", c.id).toBe(true)
    }
  })

  describe("URL and DNS cases (checked without connecting)", () => {
    const config = configOf(table.config)
    const guard = Egress.createEgressGuard({
      config,
      recorder: Egress.makeMemoryRecorder(),
      resolver: Egress.staticResolver(table.dns)
    })
    afterAll(() => guard.close())

    for (const c of table.cases.filter((k) => k.kind !== "redirect")) {
      it(`${c.id}: ${c.expect}${c.reason ? ` (${c.reason})` : ""}`, async () => {
        const verdict = await guard.check(c.url ?? "", contextFor(c.instance))
        if (c.expect === "allow") {
          expect(verdict.allowed ? "allow" : verdict.error.message).toBe("allow")
          return
        }
        expect(verdict.allowed).toBe(false)
        if (verdict.allowed) return
        expect(verdict.error).toBeInstanceOf(Egress.EgressError)
        expect(verdict.error.reason).toBe(c.reason)
        if (c.expect === "block") {
          // Every refusal names its rule and is decided for the instance that asked.
          expect(verdict.decision?.action).toBe("egress.fetch")
          expect(verdict.decision?.effect).toBe("deny")
          expect(verdict.decision?.decidingRule?.ruleId).toBe(`egress.${c.reason}`)
          expect(verdict.decision?.customerInstanceId).toBe(c.instance)
          expect(verdict.error.decisionId).toBe(verdict.decision?.decisionId)
        } else {
          expect(verdict.decision).toBeUndefined()
        }
      })
    }
  })

  describe("redirect cases (loopback servers)", () => {
    let app: LoopServer
    let other: LoopServer
    let guard: Egress.PromiseEgressGuard
    const recorder = Egress.makeMemoryRecorder()

    beforeAll(async () => {
      app = await startServer("127.0.0.2", (req, res) => {
        const url = new URL(req.url ?? "/", "http://app.test")
        if (url.pathname === "/start") {
          res.writeHead(Number(url.searchParams.get("status") ?? 302), {
            location: url.searchParams.get("to") ?? "/"
          })
          res.end()
        } else if (url.pathname === "/loop") {
          res.writeHead(302, { location: "/loop" }).end()
        } else if (url.pathname.startsWith("/chain/")) {
          const left = Number(url.pathname.slice("/chain/".length))
          if (left > 0) res.writeHead(302, { location: `/chain/${left - 1}` }).end()
          else res.end("end of chain")
        } else res.end("ok from app")
      })
      other = await startServer("127.0.0.3", (_req, res) => res.end("ok from other"))
      guard = Egress.createEgressGuard({
        config: loopConfig([app.port, other.port]),
        recorder,
        resolver: Egress.staticResolver({
          "app.test": ["127.0.0.2"],
          "other.test": ["127.0.0.3"],
          "elsewhere.test": ["127.0.0.4"],
          "rebind.test": ["127.0.0.9"]
        })
      })
    })
    afterAll(async () => {
      await guard.close()
      await app.close()
      await other.close()
    })

    for (const c of table.cases.filter((k) => k.kind === "redirect")) {
      it(`${c.id}: ${c.expect}${c.reason ? ` (${c.reason})` : ""}`, async () => {
        const location = (c.location ?? "")
          .replaceAll("{origin}", `http://app.test:${app.port}`)
          .replaceAll("{other}", `http://other.test:${other.port}`)
          .replaceAll("{port}", String(app.port))
        const start = `http://app.test:${app.port}/start?status=${c.status ?? 302}&to=${encodeURIComponent(location)}`
        const method = c.method ?? "GET"
        const request = method === "GET" ? { url: start } : { url: start, method, body: "payload" }
        const outcome = await guard.fetch(request, contextFor("loop")).then(
          (response) => ({ allowed: true as const, response }),
          (error: unknown) => ({ allowed: false as const, error: error as Egress.EgressError })
        )
        if (c.expect === "allow") {
          expect(outcome.allowed ? outcome.response.status : outcome.error.message).toBe(200)
          if (outcome.allowed) expect(outcome.response.redirects.length).toBeGreaterThanOrEqual(1)
          return
        }
        expect(outcome.allowed).toBe(false)
        if (outcome.allowed) return
        expect(outcome.error).toBeInstanceOf(Egress.EgressError)
        expect(outcome.error.reason).toBe(c.reason)
        // The refusal was recorded with its decision.
        const blocked = recorder.events.find(
          (e) => e.type === "egress.blocked" && e.decision.decisionId === outcome.error.decisionId
        )
        expect(blocked?.type).toBe("egress.blocked")
      })
    }
  })
})
