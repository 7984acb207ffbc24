import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { canonicalByteLength, maxAuditPayloadBytes, prepareEntry } from "../../src/audit/AuditEntry.js"
import { canonicalJson } from "../../src/hash.js"
import { checkJsonValue } from "../../src/json/safeJson.js"

const canonicalBytes = (value: unknown) => Buffer.byteLength(canonicalJson(value), "utf8")

describe("audit entry size", () => {
  // Lone surrogates included: they have no canonical form, and both refuse them alike.
  it("is the byte length of the payload's canonical JSON, for any JSON value the limits accept", () => {
    const text = fc.string({
      unit: fc.constantFrom("a", "é", "€", "😀", '"', "\\", "\n", "\u0001", "\\ud800", "\ud800", "\udfff")
    })
    const value = fc.letrec((tie) => ({
      json: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.boolean(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        text,
        fc.string({ unit: "binary" }),
        fc.array(tie("json")),
        fc.dictionary(fc.oneof(text, fc.string({ unit: "binary" })), tie("json"))
      )
    })).json
    fc.assert(
      fc.property(value, (v) => {
        fc.pre(checkJsonValue(v, "test")._tag === "Success")
        let expected: number | "throws"
        try {
          expected = canonicalBytes(v)
        } catch {
          expected = "throws"
        }
        if (expected === "throws") expect(() => canonicalByteLength(v)).toThrow()
        else expect(canonicalByteLength(v)).toBe(expected)
      }),
      { numRuns: 2000 }
    )
  })

  it("counts UTF-8 bytes, not characters, against the payload limit", () => {
    // 200k euro signs: 200k characters but 600k bytes, each string within the string limit.
    const payload = { a: "€".repeat(100_000), b: "€".repeat(100_000) }
    expect(canonicalByteLength(payload)).toBeGreaterThan(maxAuditPayloadBytes)
    const refused = prepareEntry("test", "acme", { kind: "auth_event", payload })
    expect(refused._tag).toBe("Failure")
    if (refused._tag === "Failure") expect(refused.failure.reason).toBe("too-large")
    const accepted = prepareEntry("test", "acme", { kind: "auth_event", payload: { a: "€".repeat(100_000) } })
    expect(accepted._tag).toBe("Success")
  })
})
