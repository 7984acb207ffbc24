import { Effect } from "effect"
import { describe, expect } from "vitest"
import { KeyValue } from "../../../storage/KeyValue.js"
import { instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** KeyValue.list: a plugin's keys in order, by prefix, in pages. */
export const list: Spec = ({ it }) =>
  describe("KeyValue.list", () => {
    it.effect("pages through one plugin's keys in key order", () =>
      Effect.gen(function* () {
        const kv = yield* KeyValue
        const ci = instanceId()
        const keys = ["b", "a", "c/1", "c/2", "A", "c:3", "d"]
        for (const key of keys) yield* kv.set(ci, "crm", key, key)
        yield* kv.set(ci, "other", "a", 0)
        const seen: Array<string> = []
        let cursor: string | undefined
        for (let i = 0; i < 10; i++) {
          const page = yield* kv.list(ci, "crm", { limit: 2, ...(cursor === undefined ? {} : { cursor }) })
          seen.push(...page.items.map((e) => e.key))
          cursor = page.nextCursor
          if (cursor === undefined) break
        }
        expect(seen).toEqual([...keys].sort())
      })
    )

    it.effect("filters by prefix", () =>
      Effect.gen(function* () {
        const kv = yield* KeyValue
        const ci = instanceId()
        for (const key of ["c/1", "c/2", "c:3", "cc", "d"]) yield* kv.set(ci, "crm", key, 1)
        expect((yield* kv.list(ci, "crm", { prefix: "c/" })).items.map((e) => e.key)).toEqual(["c/1", "c/2"])
        expect((yield* kv.list(ci, "crm", { prefix: "c" })).items).toHaveLength(4)
      })
    )

    it.effect("refuses a cursor of another plugin and a malformed prefix", () =>
      Effect.gen(function* () {
        const kv = yield* KeyValue
        const ci = instanceId()
        for (const key of ["a", "b", "c"]) {
          yield* kv.set(ci, "crm", key, 1)
          yield* kv.set(ci, "billing", key, 1)
        }
        const page = yield* kv.list(ci, "crm", { limit: 1 })
        expectError(
          yield* failureOf(kv.list(ci, "billing", { cursor: page.nextCursor as string })),
          "InvalidInputError"
        )
        expectError(yield* failureOf(kv.list(ci, "crm", { prefix: "%" })), "InvalidInputError")
      })
    )
  })
