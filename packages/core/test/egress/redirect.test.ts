import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as Egress from "../../src/egress/index.js"

const hop = (over: Partial<Egress.HopRequest> = {}): Egress.HopRequest => ({
  url: "https://a.example.com/start",
  method: "GET",
  headers: { authorization: "Bearer t", cookie: "c=1", "proxy-authorization": "p", accept: "*/*" },
  body: undefined,
  ...over
})
const plan = (status: number, location: string, over: Partial<Egress.HopRequest> = {}) =>
  Egress.planRedirect(hop(over), status, location)

describe("redirect planning", () => {
  it("a change of port is a change of origin: credentials are dropped", () => {
    const next = Result.getOrThrow(plan(302, "https://a.example.com:8443/x"))
    expect(next.crossOrigin).toBe(true)
    expect(next.headers).toEqual({ accept: "*/*" })
    expect([...next.droppedHeaders].sort()).toEqual(["authorization", "cookie", "proxy-authorization"])
  })

  it("refuses a downgrade from https to http", () => {
    expect(Result.merge(plan(301, "http://a.example.com/x"))).toMatchObject({ reason: "redirect-downgrade" })
  })

  it("303 keeps HEAD as HEAD and drops the fragment of the Location", () => {
    const next = Result.getOrThrow(plan(303, "/other#frag", { method: "HEAD" }))
    expect(next.method).toBe("HEAD")
    expect(next.url).toBe("https://a.example.com/other")
  })

  it("307 and 308 keep method and body on the same origin", () => {
    for (const status of [307, 308]) {
      const next = Result.getOrThrow(
        plan(status, "/again", { method: "PUT", body: "x", headers: { "content-type": "text/plain" } })
      )
      expect(next).toMatchObject({ method: "PUT", body: "x", headers: { "content-type": "text/plain" } })
    }
  })

  it("refuses an odd IPv4 form in an absolute or scheme-relative Location", () => {
    for (const location of ["http://0x7f.1/", "//2130706433/", "https://127.1/"]) {
      expect(Result.merge(plan(302, location)), location).toMatchObject({ reason: "ip-literal-form" })
    }
  })

  it("refuses a Location that is not a URL, with a typed reason", () => {
    expect(Result.merge(plan(302, "http://[::1"))).toMatchObject({ reason: "invalid-url" })
    expect(Result.merge(plan(302, `/${"a".repeat(9000)}`))).toMatchObject({ reason: "invalid-url" })
  })
})
