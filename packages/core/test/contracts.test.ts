import { describe, expect, it } from "@effect/vitest"
import { Effect, Result, Schema } from "effect"
import * as Arbitrary from "effect/Arbitrary"
import fc from "fast-check"
import { decodeJson, decodeUnknown, publishedContracts, RunRequestV2 } from "../src/contracts/index.js"
import { InvalidInputError } from "../src/json/index.js"

const samplesOf = (schema: Schema.Top, count = 60) =>
  Effect.runSync(Arbitrary.sampleEffect(Arbitrary.schema(schema), { count, seed: 20261124 }))

const validRequest = {
  version: 2,
  customerInstanceId: "acme",
  environment: "production",
  actor: { kind: "user", id: "u-1", roles: ["operator"] },
  input: { text: "hello" }
}

describe("contracts", () => {
  describe.each(Object.entries(publishedContracts))("%s", (name, schema) => {
    it("round-trips every generated value through JSON text", () => {
      const samples = samplesOf(schema)
      expect(samples.length).toBeGreaterThan(0)
      for (const value of samples) {
        const encoded = Schema.encodeUnknownSync(schema)(value)
        const decoded = decodeJson(schema, name)(JSON.stringify(encoded))
        expect(
          Result.isSuccess(decoded),
          JSON.stringify(Result.isFailure(decoded) ? decoded.failure.problems : [])
        ).toBe(true)
        // Compared as JSON text: the wire form is what must survive (JSON has no -0).
        expect(JSON.stringify(Schema.encodeUnknownSync(schema)(Result.getOrThrow(decoded)))).toBe(
          JSON.stringify(encoded)
        )
      }
    })

    it("never throws on random JSON, and any failure is a typed error with a path", () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
          const result = decodeUnknown(schema, name)(value)
          if (Result.isFailure(result)) {
            expect(result.failure).toBeInstanceOf(InvalidInputError)
            expect(result.failure.problems.length).toBeGreaterThan(0)
            for (const p of result.failure.problems) expect(p.path.startsWith("$")).toBe(true)
          }
        }),
        { numRuns: 200 }
      )
    })

    it("never throws on random text", () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 300 }), (text) => {
          const result = decodeJson(schema, name)(text)
          expect(Result.isResult(result)).toBe(true)
        }),
        { numRuns: 200 }
      )
    })
  })

  it("rejects an unknown key naming its path", () => {
    const result = decodeUnknown(
      RunRequestV2,
      "RunRequestV2"
    )({ ...validRequest, input: { text: "x", extra: 1 } })
    expect(Result.isFailure(result)).toBe(true)
    const error = Result.merge(result) as InvalidInputError
    expect(error.reason).toBe("invalid")
    expect(error.problems.map((p) => p.path)).toContain("$.input.extra")
  })

  it("names the field, what was expected and what was found", () => {
    const result = decodeUnknown(
      RunRequestV2,
      "RunRequestV2"
    )({ ...validRequest, customerInstanceId: "Bad Id" })
    const error = Result.merge(result) as InvalidInputError
    expect(error.problems).toEqual([
      {
        path: "$.customerInstanceId",
        message: 'Expected a customer instance id (lowercase slug of 1 to 64 characters) (got "Bad Id")'
      }
    ])
    expect(error.message).toContain("$.customerInstanceId")
  })

  it("reports a missing required field", () => {
    const { actor: _actor, ...rest } = validRequest
    const error = Result.merge(decodeUnknown(RunRequestV2, "RunRequestV2")(rest)) as InvalidInputError
    expect(error.problems).toContainEqual({ path: "$.actor", message: "Missing key" })
  })

  it("refuses a wrong version literal", () => {
    const error = Result.merge(
      decodeUnknown(RunRequestV2, "RunRequestV2")({ ...validRequest, version: 1 })
    ) as InvalidInputError
    expect(error.problems[0]?.path).toBe("$.version")
  })

  it("rejects timestamps that are not calendar dates", () => {
    const trace = samplesOf(publishedContracts.ToolInvocationV1, 1)[0]!
    const encoded = Schema.encodeUnknownSync(publishedContracts.ToolInvocationV1)(trace) as Record<
      string,
      unknown
    >
    const result = decodeUnknown(
      publishedContracts.ToolInvocationV1,
      "ToolInvocationV1"
    )({
      ...encoded,
      startedAt: "2026-02-30T00:00:00Z"
    })
    expect((Result.merge(result) as InvalidInputError).problems[0]?.path).toBe("$.startedAt")
  })
})
