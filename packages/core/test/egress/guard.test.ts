import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Result, Schema } from "effect"
import fc from "fast-check"
import * as Config from "../../src/config/index.js"
import * as Egress from "../../src/egress/index.js"
import { contextFor, type LoopServer, loopConfig, startServer } from "./support.js"

const ctx = contextFor("loop")

/** A resolver that counts its calls and answers from a script (one answer list per call). */
const scripted = (answers: Record<string, Array<ReadonlyArray<string>>>) => {
  const calls: Array<string> = []
  const resolver: Egress.EgressResolver = {
    resolve: async (host) => {
      calls.push(host)
      const script = answers[host]
      if (script === undefined || script.length === 0)
        throw Object.assign(new Error("nx"), { code: "ENOTFOUND" })
      return script.length > 1 ? (script.shift() ?? []) : (script[0] ?? [])
    }
  }
  return { resolver, calls }
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected the request to be refused")
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(Egress.EgressError)
      return error as Egress.EgressError
    }
  )

describe("egress guard on loopback servers", () => {
  let app: LoopServer
  let other: LoopServer
  const big = Buffer.alloc(256 * 1024, 97)

  beforeAll(async () => {
    app = await startServer("127.0.0.2", (req, res, body) => {
      const url = new URL(req.url ?? "/", "http://app.test")
      switch (url.pathname) {
        case "/redirect": {
          res
            .writeHead(Number(url.searchParams.get("status")), {
              location: url.searchParams.get("to") ?? "/"
            })
            .end()
          return
        }
        case "/big-declared":
          res.writeHead(200, { "content-length": String(big.length) }).end(big)
          return
        case "/big-chunked":
          res.writeHead(200, { "content-type": "text/plain" })
          for (let i = 0; i < 16; i++) res.write(big.subarray(0, 16 * 1024))
          res.end()
          return
        case "/huge-headers":
          res.writeHead(200, { "x-filler": "x".repeat(32 * 1024) }).end("never read")
          return
        case "/hang":
          return // never answers: the guard's deadline must end the request
        default:
          res.writeHead(200, { "content-type": "text/plain" }).end(`app:${req.method}:${body}`)
      }
    })
    other = await startServer("127.0.0.3", (req, res, body) => res.end(`other:${req.method}:${body}`))
  })
  afterAll(async () => {
    await app.close()
    await other.close()
  })

  const guardWith = (
    resolver: Egress.EgressResolver,
    options: { limits?: Partial<Egress.EgressLimits>; recorder?: Egress.MemoryRecorder } = {}
  ) => {
    const recorder = options.recorder ?? Egress.makeMemoryRecorder()
    const guard = Egress.createEgressGuard({
      config: loopConfig([app.port, other.port]),
      recorder,
      resolver,
      ...(options.limits === undefined ? {} : { limits: options.limits })
    })
    return { guard, recorder }
  }
  const names = () =>
    scripted({ "app.test": [["127.0.0.2"]], "other.test": [["127.0.0.3"]], "slow.test": [["127.0.0.2"]] })

  it("records host, resolved address, status, bytes and the opened private range of an allowed fetch", async () => {
    const { guard, recorder } = guardWith(names().resolver)
    const response = await guard.fetch({ url: `http://app.test:${app.port}/hello?secret=1` }, ctx)
    await guard.close()
    expect(response.status).toBe(200)
    expect(Buffer.from(response.body).toString()).toBe("app:GET:")
    expect(response.address).toBe("127.0.0.2")
    const [event] = recorder.events
    expect(event).toMatchObject({
      type: "egress.fetched",
      customerInstanceId: "loop",
      host: "app.test",
      address: "127.0.0.2",
      status: 200,
      bytes: 8,
      privateRange: "127.0.0.2/32",
      url: `http://app.test:${app.port}/hello`
    })
    // Audit events are valid wire records, and the query string (possible secrets) is not in them.
    expect(Result.isSuccess(Schema.decodeUnknownResult(Egress.EgressEventV1)(event))).toBe(true)
    expect(JSON.stringify(recorder.events)).not.toContain("secret")
  })

  it("connects only to the checked answer: one resolution per hop, no second lookup to rebind", async () => {
    // First answer is the opened app server; every later answer points elsewhere.
    const { resolver, calls } = scripted({ "rebind.test": [["127.0.0.2"], ["127.0.0.3"]] })
    const { guard } = guardWith(resolver)
    const before = { app: app.received.length, other: other.received.length }
    const response = await guard.fetch({ url: `http://rebind.test:${app.port}/pinned` }, ctx)
    expect(Buffer.from(response.body).toString()).toBe("app:GET:")
    expect(calls).toEqual(["rebind.test"])
    expect(app.received.length).toBe(before.app + 1)
    expect(other.received.length).toBe(before.other)
    await guard.close()
  })

  it("re-checks a rebound answer on the next request and refuses it", async () => {
    const { resolver } = scripted({ "rebind.test": [["127.0.0.2"], ["127.0.0.4"]] })
    const { guard, recorder } = guardWith(resolver)
    await guard.fetch({ url: `http://rebind.test:${app.port}/first` }, ctx)
    const error = await rejection(guard.fetch({ url: `http://rebind.test:${app.port}/second` }, ctx))
    expect(error.reason).toBe("blocked-range")
    expect(error.detail).toContain("127.0.0.4")
    const blocked = recorder.events.find((e) => e.type === "egress.blocked")
    expect(blocked?.type === "egress.blocked" && blocked.decision.decidingRule?.ruleId).toBe(
      "egress.blocked-range"
    )
    await guard.close()
  })

  it("refuses a name with mixed answers without connecting anywhere", async () => {
    const { resolver } = scripted({ "app.test": [["127.0.0.2", "10.0.0.7"]] })
    const { guard } = guardWith(resolver)
    const seen = app.received.length
    const error = await rejection(guard.fetch({ url: `http://app.test:${app.port}/` }, ctx))
    expect(error.reason).toBe("blocked-range")
    expect(app.received.length).toBe(seen)
    await guard.close()
  })

  it("keeps loopback closed for an instance that did not open it", async () => {
    const { guard } = guardWith(names().resolver)
    // `acme` has the platform defaults: nothing opened, so loopback stays blocked.
    const error = await rejection(guard.fetch({ url: "http://127.0.0.2/" }, contextFor("acme")))
    expect(error.reason).toBe("blocked-range")
    expect(error.detail).toContain("loopback")
    await guard.close()
  })

  it("drops credentials and keeps other headers on a cross-origin redirect", async () => {
    const { guard, recorder } = guardWith(names().resolver)
    const to = `http://other.test:${other.port}/landing`
    const response = await guard.fetch(
      {
        url: `http://app.test:${app.port}/redirect?status=302&to=${encodeURIComponent(to)}`,
        headers: {
          Authorization: "Bearer s3cret",
          Cookie: "sid=1",
          "Proxy-Authorization": "Basic x",
          "X-Trace": "t1"
        }
      },
      ctx
    )
    expect(Buffer.from(response.body).toString()).toBe("other:GET:")
    expect(response.redirects).toEqual([`http://app.test:${app.port}/redirect`])
    const landed = other.received.at(-1)
    expect(landed?.headers.authorization).toBeUndefined()
    expect(landed?.headers.cookie).toBeUndefined()
    expect(landed?.headers["proxy-authorization"]).toBeUndefined()
    expect(landed?.headers["x-trace"]).toBe("t1")
    // One record per hop, linked by the request id (the first event's id).
    expect(recorder.events.map((e) => [e.type, e.hop, e.requestId])).toEqual([
      ["egress.fetched", 0, response.requestId],
      ["egress.fetched", 1, response.requestId]
    ])
    expect(recorder.events[0]?.eventId).toBe(response.requestId)
    await guard.close()
  })

  it("keeps credentials on a same-origin redirect", async () => {
    const { guard } = guardWith(names().resolver)
    await guard.fetch(
      {
        url: `http://app.test:${app.port}/redirect?status=307&to=%2Fsame`,
        headers: { authorization: "Bearer s3cret" }
      },
      ctx
    )
    expect(app.received.at(-1)?.url).toBe("/same")
    expect(app.received.at(-1)?.headers.authorization).toBe("Bearer s3cret")
    await guard.close()
  })

  it("turns POST into a GET without body on 303 and on 301/302", async () => {
    const { guard } = guardWith(names().resolver)
    for (const status of [301, 302, 303]) {
      const to = `http://other.test:${other.port}/after-${status}`
      const response = await guard.fetch(
        {
          url: `http://app.test:${app.port}/redirect?status=${status}&to=${encodeURIComponent(to)}`,
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: "form-data"
        },
        ctx
      )
      expect(Buffer.from(response.body).toString()).toBe("other:GET:")
      expect(other.received.at(-1)?.headers["content-type"]).toBeUndefined()
    }
    await guard.close()
  })

  it("refuses to resend a body to another origin on 307/308", async () => {
    const { guard } = guardWith(names().resolver)
    const seen = other.received.length
    const to = `http://other.test:${other.port}/x`
    const error = await rejection(
      guard.fetch(
        {
          url: `http://app.test:${app.port}/redirect?status=308&to=${encodeURIComponent(to)}`,
          method: "PUT",
          body: "payload"
        },
        ctx
      )
    )
    expect(error.reason).toBe("redirect-body")
    expect(other.received.length).toBe(seen)
    await guard.close()
  })

  it("refuses a body that declares more than the cap before reading it", async () => {
    const { guard, recorder } = guardWith(names().resolver)
    const error = await rejection(
      guard.fetch({ url: `http://app.test:${app.port}/big-declared`, maxBytes: 1024 }, ctx)
    )
    expect(error.reason).toBe("too-large")
    expect(recorder.events.at(-1)).toMatchObject({
      type: "egress.failed",
      reason: "too-large",
      address: "127.0.0.2"
    })
    await guard.close()
  })

  it("stops a streamed body as soon as it passes the cap", async () => {
    const { guard, recorder } = guardWith(names().resolver)
    const error = await rejection(
      guard.fetch({ url: `http://app.test:${app.port}/big-chunked`, maxBytes: 40_000 }, ctx)
    )
    expect(error.reason).toBe("too-large")
    const failed = recorder.events.at(-1)
    // Reading stopped within one chunk of the cap, far before the 256 KiB the server sends.
    expect(failed?.type === "egress.failed" && failed.bytes).toBeLessThan(40_000 + 64 * 1024)
    await guard.close()
  })

  it("returns the first bytes, marked truncated, when the caller accepts a cut body", async () => {
    const { guard, recorder } = guardWith(names().resolver)
    const response = await guard.fetch(
      { url: `http://app.test:${app.port}/big-chunked`, maxBytes: 40_000, truncate: true },
      ctx
    )
    expect(response.truncated).toBe(true)
    expect(response.bytes).toBe(40_000)
    expect(response.body.byteLength).toBe(40_000)
    expect(recorder.events.at(-1)).toMatchObject({ type: "egress.fetched", bytes: 40_000, truncated: true })
    await guard.close()
  })

  it("never raises the configured byte cap for a request", async () => {
    const { guard } = guardWith(names().resolver, { limits: { maxResponseBytes: 1000 } })
    const error = await rejection(
      guard.fetch({ url: `http://app.test:${app.port}/big-declared`, maxBytes: 10_000_000 }, ctx)
    )
    expect(error.reason).toBe("too-large")
    await guard.close()
  })

  it("ends a request at the total deadline", async () => {
    const { guard } = guardWith(names().resolver, { limits: { timeoutMs: 300 } })
    const error = await rejection(guard.fetch({ url: `http://app.test:${app.port}/hang` }, ctx))
    expect(error.reason).toBe("timeout")
    await guard.close()
  })

  it("counts a slow resolver against the deadline", async () => {
    const resolver: Egress.EgressResolver = {
      resolve: (_host, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)))
    }
    const { guard } = guardWith(resolver, { limits: { timeoutMs: 200 } })
    const error = await rejection(guard.fetch({ url: `http://slow.test:${app.port}/` }, ctx))
    expect(error.reason).toBe("timeout")
    await guard.close()
  })

  it("stops when the caller cancels", async () => {
    const { guard } = guardWith(names().resolver)
    const controller = new AbortController()
    const pending = guard.fetch(
      { url: `http://app.test:${app.port}/hang` },
      { ...ctx, signal: controller.signal }
    )
    setTimeout(() => controller.abort(), 50)
    expect((await rejection(pending)).reason).toBe("aborted")
    await guard.close()
  })

  it("refuses response headers past the header size limit", async () => {
    const { guard } = guardWith(names().resolver, { limits: { maxHeaderBytes: 8 * 1024 } })
    const error = await rejection(guard.fetch({ url: `http://app.test:${app.port}/huge-headers` }, ctx))
    expect(error.reason).toBe("headers-too-large")
    await guard.close()
  })

  it("reuses one keep-alive pool per origin and pinned address", async () => {
    const recorder = Egress.makeMemoryRecorder()
    const engine = Result.getOrThrow(
      Egress.makeEngine({ config: loopConfig([app.port, other.port]), recorder, resolver: names().resolver })
    )
    for (let i = 0; i < 5; i++) await engine.fetch({ url: `http://app.test:${app.port}/k${i}` }, ctx)
    expect(engine.poolCount).toBe(1)
    await engine.fetch({ url: `http://other.test:${other.port}/k` }, ctx)
    expect(engine.poolCount).toBe(2)
    await engine.close()
  })

  it("refuses headers the guard owns and malformed ones, before any connection", async () => {
    const { guard } = guardWith(names().resolver)
    const seen = app.received.length
    for (const headers of [
      { Host: "internal.example" },
      { "transfer-encoding": "chunked" },
      { "x-a": "1\r\nx-b: 2" },
      { "bad name": "1" }
    ]) {
      const error = await rejection(guard.fetch({ url: `http://app.test:${app.port}/`, headers }, ctx))
      expect(error.reason).toBe("invalid-request")
    }
    expect(
      (await rejection(guard.fetch({ url: `http://app.test:${app.port}/`, method: "CONNECT" }, ctx))).reason
    ).toBe("invalid-request")
    expect(app.received.length).toBe(seen)
    await guard.close()
  })

  it("answers IP-literal URLs without DNS, checked on their own", async () => {
    const { resolver, calls } = scripted({})
    const { guard } = guardWith(resolver)
    const response = await guard.fetch({ url: `http://127.0.0.2:${app.port}/literal` }, ctx)
    expect(response.address).toBe("127.0.0.2")
    expect(calls).toEqual([])
    // 127.0.0.3 is opened but not allowlisted as a literal.
    expect((await rejection(guard.fetch({ url: `http://127.0.0.3:${other.port}/` }, ctx))).reason).toBe(
      "not-allowlisted"
    )
    await guard.close()
  })
})

describe("malformed input", () => {
  const guard = Egress.createEgressGuard({
    config: loopConfig([]),
    recorder: Egress.makeMemoryRecorder(),
    resolver: Egress.staticResolver({})
  })
  afterAll(() => guard.close())

  it("gets a typed invalid-url error with a readable message", async () => {
    for (const url of ["", "::::", "http://", "http://exa mple.com", "https://[::1", "http://1.2.3.4.5/"]) {
      const error = await rejection(guard.fetch({ url }, ctx))
      expect(error.reason).toBe("invalid-url")
      expect(error.message).toMatch(/blocked \(invalid-url\)/u)
    }
  })

  it("never throws from the pure check, whatever the text", () => {
    const policy = Result.getOrThrow(Egress.policyFor(loopConfig([8080]), "loop"))
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc.string().map((s) => `http://${s}`)
        ),
        (text) => {
          const verdict = Egress.checkUrl(text, policy)
          return Result.isSuccess(verdict) || typeof verdict.failure.reason === "string"
        }
      ),
      { numRuns: 2000 }
    )
  })

  it("rejects (never throws synchronously) for any text given to fetch", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 64 }), async (text) => {
        const outcome = await guard.fetch({ url: `http://${text}` }, ctx).then(
          () => "resolved",
          (e: unknown) => (e instanceof Egress.EgressError ? "typed" : "untyped")
        )
        return outcome === "typed"
      }),
      { numRuns: 300 }
    )
  })
})

describe("EgressGuard service", () => {
  it.effect("is provided from the configuration and the recorder service", () =>
    Effect.gen(function* () {
      const recorder = Egress.makeMemoryRecorder()
      const guardLayer = Egress.layer({
        resolver: Egress.staticResolver({ "app.test": ["127.0.0.2"] })
      }).pipe(
        Layer.provide(Config.layer({ security: { egress: { allowlist: ["*.example.com"] } } })),
        Layer.provide(Egress.layerMemoryRecorder(recorder))
      )
      const error = yield* Effect.gen(function* () {
        const guard = yield* Egress.EgressGuard
        return yield* Effect.flip(guard.fetch({ url: "http://169.254.169.254/latest/" }, ctx))
      }).pipe(Effect.provide(guardLayer))
      expect(error.reason).toBe("metadata-endpoint")
      expect(recorder.events).toHaveLength(1)
      expect(recorder.events[0]?.type).toBe("egress.blocked")
    })
  )

  it.effect("fails to start on settings it cannot apply, naming each", () =>
    Effect.gen(function* () {
      const config = Result.getOrThrow(
        Config.decodeConfig({
          security: { egress: { allowPrivateRanges: ["10.0.0.0/8"] } },
          customerInstances: {
            acme: { security: { egress: { allowPrivateRanges: ["0.0.0.0/0", "8.8.8.0/24", "10.1.0.0/16"] } } }
          }
        })
      )
      const error = yield* Effect.flip(
        Effect.scoped(Egress.make({ config, recorder: Egress.makeMemoryRecorder() }))
      )
      expect(error).toBeInstanceOf(Egress.EgressConfigError)
      expect(error.problems.map((p) => p.path)).toEqual([
        "$.security.egress.allowPrivateRanges",
        "$.customerInstances.acme.security.egress.allowPrivateRanges[0]",
        "$.customerInstances.acme.security.egress.allowPrivateRanges[1]"
      ])
    })
  )
})
