import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { canonicalJson, hashOf, sha256Hex } from "../src/hash.js"
import { isId, newId, newTraceId } from "../src/ids.js"

describe("ids", () => {
  it("are UUIDv7 and sort by creation time", () => {
    const ids = Array.from({ length: 1000 }, () => newId())
    for (const id of ids) expect(isId(id)).toBe(true)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("rejects non-v7 and uppercase ids", () => {
    expect(isId("6ba7b810-9dad-41d1-80b4-00c04fd430c8")).toBe(false)
    expect(isId(newId().toUpperCase())).toBe(false)
    expect(isId("not-an-id")).toBe(false)
  })

  it("trace ids are 32 hex characters", () => {
    expect(newTraceId()).toMatch(/^[0-9a-f]{32}$/)
  })
})

describe("hash scheme (sha256 over RFC 8785)", () => {
  it("canonicalizes the RFC 8785 example", () => {
    // RFC 8785 section 3.2.2 (sorting of properties and number serialization).
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}'
    )
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
  })

  it("does not depend on key order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse())
        expect(hashOf(reversed)).toBe(hashOf(record))
      })
    )
  })

  it("is sha256 of the canonical text", () => {
    expect(hashOf({ b: 1, a: "x" })).toBe(sha256Hex('{"a":"x","b":1}'))
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  })

  it("refuses values without a JSON form", () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError)
  })
})
