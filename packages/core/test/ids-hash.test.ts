import fc from "fast-check"
import { v7 as uuidv7 } from "uuid"
import { describe, expect, it } from "vitest"
import { canonicalJson, hashOf, sha256Hex } from "../src/hash.js"
import { isId, makeIdGenerator, newId, newTraceId } from "../src/ids.js"

/** A generator over a scripted clock and a seeded byte stream. */
const scripted = (clock: ReadonlyArray<number>, seed: number) => {
  let tick = 0
  let state = seed >>> 0 || 1
  return makeIdGenerator({
    now: () => clock[Math.min(tick++, clock.length - 1)] as number,
    fill: (bytes) => {
      for (let i = 0; i < bytes.length; i++) {
        state ^= state << 13
        state ^= state >>> 17
        state ^= state << 5
        bytes[i] = state & 0xff
      }
    }
  })
}

const timestampOf = (id: string): number => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)

describe("ids", () => {
  it("are UUIDv7 and sort by creation time", () => {
    const ids = Array.from({ length: 1000 }, () => newId())
    for (const id of ids) expect(isId(id)).toBe(true)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("strictly increase within one process, also when thousands share a millisecond", () => {
    const ids = Array.from({ length: 20_000 }, () => newId())
    for (let i = 1; i < ids.length; i++) expect(ids[i - 1]! < ids[i]!).toBe(true)
    expect(ids.every(isId)).toBe(true)
    expect(new Set(ids.map(timestampOf)).size).toBeLessThan(ids.length)
  })

  it("carry the current time in their first 48 bits", () => {
    const before = Date.now()
    const id = newId()
    const after = Date.now()
    expect(timestampOf(id)).toBeGreaterThanOrEqual(before)
    expect(timestampOf(id)).toBeLessThanOrEqual(after + 1)
  })

  it("are valid v7 and strictly increasing whatever the clock does (repeats, steps back)", () => {
    const start = 1_750_000_000_000
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 600 }),
        fc.integer(),
        (steps, seed) => {
          let t = start
          const clock = steps.map((step) => (t += step))
          const next = scripted(clock, seed)
          let previous = ""
          let latest = Number.NEGATIVE_INFINITY
          for (const reading of clock) {
            const id = next()
            latest = Math.max(latest, reading)
            expect(isId(id)).toBe(true)
            expect(id > previous).toBe(true)
            // Never behind the latest clock reading; ahead only by counter wraps, which take 2^31 ids.
            expect(timestampOf(id)).toBe(latest)
            previous = id
          }
        }
      )
    )
  })

  it("lay out time, counter and random bits exactly as the uuid package's v7", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
        (ms, bytes) => {
          const next = makeIdGenerator({ now: () => ms, fill: (pool) => pool.set(bytes) })
          const random = new Uint8Array(16)
          random.set(bytes.subarray(0, 4), 6)
          random.set(bytes.subarray(4, 10), 10)
          expect(next()).toBe(uuidv7({ msecs: ms, random }))
        }
      )
    )
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
