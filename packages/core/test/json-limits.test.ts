import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decodeJson, RunRequestV2 } from "../src/contracts/index.js"
import { defaultJsonLimits, type InvalidInputError, parseJson } from "../src/json/index.js"

const decode = decodeJson(RunRequestV2, "RunRequestV2")
const request = (text: string) =>
  JSON.stringify({
    version: 2,
    customerInstanceId: "acme",
    environment: "production",
    actor: { kind: "user", id: "u-1", roles: [] },
    input: { text }
  })

describe("untrusted JSON limits", () => {
  it("refuses a document over the byte limit before parsing it", () => {
    const error = Result.merge(decode(request("x".repeat(defaultJsonLimits.maxBytes)))) as InvalidInputError
    expect(error.reason).toBe("too-large")
    expect(error.problems[0]?.message).toMatch(/exceeds the limit of 1048576 bytes/)
  })

  it("refuses nesting deeper than the limit without recursing into it", () => {
    const deep = `${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`
    const error = Result.merge(
      parseJson(deep, "doc", { ...defaultJsonLimits, maxBytes: 4_000_000 })
    ) as InvalidInputError
    expect(error.reason).toBe("too-deep")
  })

  it("counts brackets inside strings as text, not nesting", () => {
    expect(Result.isSuccess(decode(request("[[[[".repeat(100))))).toBe(true)
  })

  it("refuses a field longer than the contract allows", () => {
    const error = Result.merge(decode(request("x".repeat(100_001)))) as InvalidInputError
    expect(error.reason).toBe("invalid")
    expect(error.problems[0]?.path).toBe("$.input.text")
  })

  it("refuses __proto__ keys anywhere, naming where", () => {
    const text = request("hi").replace('"input":{', '"input":{"__proto__":{"polluted":true},')
    const error = Result.merge(decode(text)) as InvalidInputError
    expect(error.reason).toBe("forbidden-key")
    expect(error.problems[0]?.path).toBe("$.input.__proto__")
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it("keeps constructor and prototype keys as plain data without polluting", () => {
    const parsed = parseJson('{"constructor":{"prototype":{"polluted":true}}}', "doc")
    expect(Result.isSuccess(parsed)).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf({})).toBe(Object.prototype)
  })

  it("reports malformed JSON as a typed error", () => {
    const error = Result.merge(decode('{"version": 2,')) as InvalidInputError
    expect(error.reason).toBe("malformed-json")
    expect(error._tag).toBe("@bga/core/InvalidInputError")
  })

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v) ?? "")
        ),
        (text) => {
          const result = parseJson(text, "doc")
          expect(Result.isResult(result)).toBe(true)
        }
      ),
      { numRuns: 500 }
    )
  })
})
