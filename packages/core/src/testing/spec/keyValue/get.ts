import { Effect, Option } from "effect"
import { describe, expect } from "vitest"
import { KeyValue } from "../../../storage/KeyValue.js"
import { instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** KeyValue.get: a plugin reads its own value. */
export const get: Spec = ({ it }) =>
  describe("KeyValue.get", () => {
    it.effect("returns none for a missing key and the entry for a stored one", () =>
      Effect.gen(function* () {
        const kv = yield* KeyValue
        const ci = instanceId()
        expect(Option.isNone(yield* kv.get(ci, "@acme/crm", "token"))).toBe(true)
        const entry = yield* kv.set(ci, "@acme/crm", "token", { value: "abc", n: [1, 2] })
        expect(yield* kv.get(ci, "@acme/crm", "token")).toEqual(Option.some(entry))
      })
    )

    it.effect("keeps each plugin's namespace apart", () =>
      Effect.gen(function* () {
        const kv = yield* KeyValue
        const ci = instanceId()
        yield* kv.set(ci, "@acme/crm", "token", "crm")
        expect(Option.isNone(yield* kv.get(ci, "@acme/billing", "token"))).toBe(true)
        expect(Option.isNone(yield* kv.get(ci, "@acme/crm-x", "token"))).toBe(true)
      })
    )

    it.effect("refuses malformed plugin names and keys", () =>
      Effect.gen(function* () {
        const kv = yield* KeyValue
        const ci = instanceId()
        for (const plugin of ["", "Acme", "../etc", "@acme/../x", "a b", 5]) {
          expectError(yield* failureOf(kv.get(ci, plugin as string, "k")), "InvalidInputError")
        }
        for (const key of ["", "a b", "k\u0000", "x".repeat(513), "é", null]) {
          expectError(yield* failureOf(kv.get(ci, "@acme/crm", key as string)), "InvalidInputError")
        }
      })
    )
  })
