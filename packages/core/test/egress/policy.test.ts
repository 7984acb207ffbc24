import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import * as Egress from "../../src/egress/index.js"
import { configOf } from "./support.js"

const policy = (input: Parameters<typeof configOf>[0], id = "acme") =>
  Result.getOrThrow(Egress.policyFor(configOf(input), id))

describe("how platform and instance egress settings combine", () => {
  const config = {
    security: { egress: { allowlist: ["api.example.com"], allowedPorts: [8443] } },
    customerInstances: {
      own: { security: { egress: { allowlist: ["crm.example.net"], allowedPorts: [9000] } } },
      inherits: { displayName: "Inherits" }
    }
  }

  it("an instance without an allowlist of its own uses the platform list", () => {
    const p = policy(config, "inherits")
    expect(Egress.matchAllowlist("api.example.com", p.allowlist)).toBeDefined()
    expect(p.allowlistLayer).toBe("deployment")
    expect([...p.allowedPorts]).toEqual([8443])
  })

  it("an instance allowlist replaces the platform list, and so does its port list", () => {
    const p = policy(config, "own")
    expect(Egress.matchAllowlist("api.example.com", p.allowlist)).toBeUndefined()
    expect(Egress.matchAllowlist("crm.example.net", p.allowlist)).toBeDefined()
    expect(p.allowlistLayer).toBe("customer_instance")
    expect([...p.allowedPorts]).toEqual([9000])
  })

  it("private ranges are opened only by the instance's own setting", () => {
    expect(policy(config, "own").privateRanges).toEqual([])
    const opened = policy(
      { customerInstances: { acme: { security: { egress: { allowPrivateRanges: ["10.20.0.0/16"] } } } } },
      "acme"
    )
    expect(opened.privateRanges.map((r) => r.cidr)).toEqual(["10.20.0.0/16"])
    const error = Result.merge(
      Egress.policyFor(configOf({ security: { egress: { allowPrivateRanges: ["10.0.0.0/8"] } } }), "acme")
    ) as Egress.EgressConfigError
    expect(error.problems[0]?.path).toBe("$.security.egress.allowPrivateRanges")
  })

  it("an opened block must lie inside one private range", () => {
    for (const ok of [
      "10.0.0.0/8",
      "172.20.0.0/16",
      "192.168.1.0/24",
      "100.64.0.0/10",
      "fd12::/16",
      "127.0.0.1/32"
    ]) {
      expect(typeof Egress.parseOpenedRange(ok), ok).toBe("object")
    }
    for (const bad of [
      "0.0.0.0/0",
      "8.8.8.0/24",
      "10.0.0.0/7",
      "169.254.0.0/16",
      "::/0",
      "2001:db8::/32",
      "010.0.0.0/8",
      "nope"
    ]) {
      expect(typeof Egress.parseOpenedRange(bad), bad).toBe("string")
    }
  })

  it("bad allowlist entries are reported with their path", () => {
    const error = Result.merge(
      Egress.policiesFor(
        configOf({ security: { egress: { allowlist: ["ok.example.com", "*.com", "0x7f.1"] } } })
      )
    ) as Egress.EgressConfigError
    expect(error.problems.map((p) => p.path)).toEqual([
      "$.security.egress.allowlist[1]",
      "$.security.egress.allowlist[2]"
    ])
  })
})

describe("allowlist matching", () => {
  const list = ["Api.Example.com.", "*.example.org", "bücher.example"].map((e) => {
    const parsed = Egress.parseAllowEntry(e)
    if (typeof parsed === "string") throw new Error(parsed)
    return parsed
  })

  it("is case-insensitive, ignores one trailing dot and compares IDNs in punycode", () => {
    expect(Egress.matchAllowlist("api.example.com", list)).toBeDefined()
    expect(Egress.matchAllowlist("xn--bcher-kva.example", list)).toBeDefined()
    expect(Egress.normalizeHost("BÜCHER.example.")).toBe("xn--bcher-kva.example")
  })

  it("a suffix pattern matches subdomains at any depth but never the apex", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.domain().map((d) => d.split(".")[0] ?? "a"),
          { minLength: 1, maxLength: 5 }
        ),
        (labels) => {
          const host = Egress.normalizeHost(`${labels.join(".")}.example.org`)
          return host !== undefined && Egress.matchAllowlist(host, list) !== undefined
        }
      )
    )
    expect(Egress.matchAllowlist("example.org", list)).toBeUndefined()
    expect(Egress.matchAllowlist("badexample.org", list)).toBeUndefined()
  })
})

describe("address classification", () => {
  const v4 = (a: number, b: number, c: number, d: number) => `${a}.${b}.${c}.${d}`
  const octet = fc.integer({ min: 0, max: 255 })

  it("every address in 10/8, 127/8, 169.254/16 and 192.168/16 is blocked", () => {
    fc.assert(
      fc.property(fc.constantFrom(10, 127, 169, 192), octet, octet, octet, (a, b, c, d) => {
        const address = a === 169 ? v4(169, 254, c, d) : a === 192 ? v4(192, 168, c, d) : v4(a, b, c, d)
        return Egress.classifyAddress(address)?.category !== "public"
      })
    )
  })

  it("an IPv4 address embedded in IPv6 is blocked whatever the IPv4 address is", () => {
    fc.assert(
      fc.property(octet, octet, octet, octet, (a, b, c, d) => {
        const hex = (x: number, y: number) => ((x << 8) | y).toString(16)
        return ["::ffff:", "64:ff9b::", "::"].every(
          (prefix) => Egress.classifyAddress(`${prefix}${hex(a, b)}:${hex(c, d)}`)?.category !== "public"
        )
      })
    )
  })

  it("names the IPv4 address inside 6to4 and Teredo addresses", () => {
    expect(Egress.classifyAddress("2002:c000:204::1")).toMatchObject({
      category: "6to4",
      embeddedIpv4: "192.0.2.4"
    })
    expect(Egress.classifyAddress("2001:0:4136:e378:8000:63bf:3fff:fdd2")).toMatchObject({
      category: "teredo",
      embeddedIpv4: "192.0.2.45"
    })
  })

  it("reads only plain addresses: odd IPv4 forms and zone ids are not addresses", () => {
    for (const text of ["0x7f.0.0.1", "2130706433", "127.1", "0177.0.0.1", "fe80::1%eth0", "1.2.3.4.5", ""]) {
      expect(Egress.parseStrictIp(text), text).toBeUndefined()
    }
  })

  it("treats each metadata endpoint as such", () => {
    for (const address of Egress.metadataAddresses) {
      expect(Egress.classifyAddress(address)?.category).toBe("metadata")
    }
  })
})
