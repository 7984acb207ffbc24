import { Effect, Option } from "effect"
import { describe, expect } from "vitest"
import { KeyValue } from "../../../storage/KeyValue.js"
import { instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** KeyValue.set: insert or overwrite one value. */
export const set: Spec = ({ it }) =>
  describe("KeyValue.set", () => {
    it.effect("overwrites an existing value", () =>
      Effect.gen(function* () {
        const kv = yield* KeyValue
        const ci = instanceId()
        yield* kv.set(ci, "crm", "cursor", 1)
        yield* kv.set(ci, "crm", "cursor", { page: 2 })
        const got = yield* kv.get(ci, "crm", "cursor")
        expect(Option.map(got, (e) => e.value)).toEqual(Option.some({ page: 2 }))
      })
    )

    it.effect("stores every JSON type unchanged", () =>
      Effect.gen(function* () {
        const kv = yield* KeyValue
        const ci = instanceId()
        const values = [null, true, 0, -1.5, "text ünïcode ✓", [], {}, { nested: [{ a: null }] }]
        for (const [i, value] of values.entries()) yield* kv.set(ci, "crm", `k${i}`, value)
        for (const [i, value] of values.entries()) {
          expect(Option.map(yield* kv.get(ci, "crm", `k${i}`), (e) => e.value)).toEqual(Option.some(value))
        }
      })
    )

    it.effect("refuses values that are not JSON or too large, writing nothing", () =>
      Effect.gen(function* () {
        const kv = yield* KeyValue
        const ci = instanceId()
        for (const value of [
          undefined,
          Number.POSITIVE_INFINITY,
          { f: () => 1 },
          "x".repeat(256 * 1024 + 1),
          JSON.parse('{"__proto__":{"polluted":1}}')
        ]) {
          expectError(yield* failureOf(kv.set(ci, "crm", "k", value as never)), "InvalidInputError")
        }
        expect(Option.isNone(yield* kv.get(ci, "crm", "k"))).toBe(true)
      })
    )
  })
