import { Effect } from "effect"
import { describe, expect } from "vitest"
import { KeyValue } from "../../../storage/KeyValue.js"
import { StorageReplica } from "../../../storage/StorageReplica.js"
import { instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** StorageReplica.kvEntries, putKv and deleteKv. */
export const kv: Spec = ({ it }) =>
  describe("StorageReplica.kvEntries / putKv / deleteKv", () => {
    it.effect("lists every plugin's entries by (plugin, key) and writes them back", () =>
      Effect.gen(function* () {
        const store = yield* KeyValue
        const replica = yield* StorageReplica
        const ci = instanceId()
        yield* store.set(ci, "b-plugin", "a", 1)
        yield* store.set(ci, "a-plugin", "z", 2)
        yield* store.set(ci, "a-plugin", "b", 3)
        const first = yield* replica.kvEntries(ci, { limit: 2 })
        const last = first.at(-1)!
        const rest = yield* replica.kvEntries(ci, { limit: 2, after: [last.pluginId, last.key] })
        expect([...first, ...rest].map((e) => `${e.pluginId}/${e.key}`)).toEqual([
          "a-plugin/b",
          "a-plugin/z",
          "b-plugin/a"
        ])
        yield* replica.deleteKv(ci, "a-plugin", "b")
        yield* replica.putKv(ci, { ...last, value: 20 })
        expect((yield* replica.kvEntries(ci, { limit: 10 })).map((e) => e.value)).toEqual([20, 1])
        expectError(yield* failureOf(replica.putKv(instanceId(), last)), "InvalidInputError")
      })
    )
  })
