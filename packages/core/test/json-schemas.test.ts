import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Ajv2020 } from "ajv/dist/2020.js"
import { Effect, Schema } from "effect"
import * as Arbitrary from "effect/Arbitrary"
import { describe, expect, it } from "vitest"
import { publishedContracts } from "../src/contracts/index.js"

// The committed JSON Schemas are what other languages validate against: every value the Effect
// Schema accepts must pass them, and values it rejects for structure must fail them.
const schemaDir = join(import.meta.dirname, "..", "schemas")
const ajv = new Ajv2020({ strict: false, allErrors: true })

describe("published JSON Schemas agree with the Effect Schemas", () => {
  describe.each(Object.entries(publishedContracts))("%s", (name, schema) => {
    const validate = ajv.compile(JSON.parse(readFileSync(join(schemaDir, `${name}.json`), "utf8")))
    const samples = Effect.runSync(Arbitrary.sampleEffect(Arbitrary.schema(schema), { count: 40, seed: 7 }))

    it("accepts every value the Effect Schema generates", () => {
      expect(samples.length).toBeGreaterThan(0)
      for (const value of samples) {
        const encoded = Schema.encodeUnknownSync(schema)(value)
        expect(validate(encoded), JSON.stringify(validate.errors)).toBe(true)
      }
    })

    it("rejects unknown keys like the decoder does", () => {
      const encoded = Schema.encodeUnknownSync(schema)(samples[0]) as Record<string, unknown>
      expect(validate({ ...encoded, unexpectedKey: 1 })).toBe(false)
    })
  })
})
