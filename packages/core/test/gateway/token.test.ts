import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { formatToken, maxTokenLength, newSecret, parseToken } from "../../src/gateway/auth/token.js"
import { newId } from "../../src/ids.js"

describe("API key tokens", () => {
  it("round-trip: a formatted key parses back to its parts", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$/u), (customerInstanceId) => {
        const parts = { customerInstanceId, keyId: newId(), secret: newSecret() }
        expect(parseToken(formatToken(parts))).toEqual(parts)
      })
    )
  })

  it("property: any other string is refused without throwing", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const parsed = parseToken(text)
        if (parsed !== undefined) expect(formatToken(parsed)).toBe(text)
      }),
      { numRuns: 2000 }
    )
  })

  it("refuses near misses: another prefix, an extra part, a short secret, an uppercase instance, an overlong key", () => {
    const good = formatToken({ customerInstanceId: "acme", keyId: newId(), secret: newSecret() })
    expect(parseToken(good)).toBeDefined()
    expect(parseToken(good.replace("bga1.", "bga2."))).toBeUndefined()
    expect(parseToken(`${good}.x`)).toBeUndefined()
    expect(parseToken(good.slice(0, -1))).toBeUndefined()
    expect(parseToken(good.replace(".acme.", ".Acme."))).toBeUndefined()
    expect(parseToken(`bga1.${"a".repeat(maxTokenLength)}.x.y`)).toBeUndefined()
  })

  it("secrets carry 256 bits and do not repeat", () => {
    const secrets = new Set(Array.from({ length: 1000 }, newSecret))
    expect(secrets.size).toBe(1000)
    for (const s of secrets) expect(Buffer.from(s, "base64url")).toHaveLength(32)
  })
})
