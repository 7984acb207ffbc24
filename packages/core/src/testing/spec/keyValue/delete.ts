import { Effect, Option } from "effect"
import { describe, expect } from "vitest"
import { KeyValue } from "../../../storage/KeyValue.js"
import { instanceId } from "../../fixtures.js"
import type { Spec } from "../../harness.js"

/** KeyValue.delete: remove one value. */
export const del: Spec = ({ it }) =>
  describe("KeyValue.delete", () => {
    it.effect("removes the value and says whether there was one", () =>
      Effect.gen(function* () {
        const kv = yield* KeyValue
        const ci = instanceId()
        yield* kv.set(ci, "crm", "k", 1)
        yield* kv.set(ci, "billing", "k", 2)
        expect(yield* kv.delete(ci, "crm", "k")).toBe(true)
        expect(yield* kv.delete(ci, "crm", "k")).toBe(false)
        expect(Option.isNone(yield* kv.get(ci, "crm", "k"))).toBe(true)
        expect(Option.isSome(yield* kv.get(ci, "billing", "k"))).toBe(true)
      })
    )
  })
