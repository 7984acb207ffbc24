import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { parseToolCallArgs } from "../../src/model/index.js"

const call = (argsText: string) => parseToolCallArgs({ id: "c", name: "t", argsText })

describe("tool call arguments from a model", () => {
  it("are parsed JSON when the text is JSON", () => {
    fc.assert(
      // `__proto__` keys are refused by design (see the JSON limits tests), so they are left out here.
      fc.property(
        fc.jsonValue({ maxDepth: 5 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')),
        (value) => {
          const parsed = call(JSON.stringify(value))
          expect(parsed.argsError).toBeUndefined()
          expect(parsed.args).toEqual(JSON.parse(JSON.stringify(value)))
        }
      ),
      { numRuns: 200 }
    )
  })

  it("never throw: any text gives either args or an argsError with args null", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const parsed = call(text)
        if (parsed.argsError !== undefined) {
          expect(parsed.args).toBeNull()
          expect(parsed.argsError.text).toBe(text.slice(0, 4096))
        }
      }),
      { numRuns: 300 }
    )
  })

  it("keep at most 4096 characters of bad text for the model to see", () => {
    const parsed = call(`{${"x".repeat(10_000)}`)
    expect(parsed.argsError?.text).toHaveLength(4096)
  })

  it("are refused over the JSON limits, as any untrusted input", () => {
    expect(call(JSON.stringify({ s: "x".repeat(300 * 1024) })).argsError?.reason).toBe("too-large")
  })
})
