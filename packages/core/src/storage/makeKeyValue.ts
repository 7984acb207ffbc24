import { Clock, Effect, Option, Result } from "effect"
import type { InvalidInputError } from "../json/JsonError.js"
import type { KvBackend } from "./backend.js"
import { decodeCursor, encodeCursor } from "./cursor.js"
import { type KeyValueShape, type KvEntry, maxKvKeyLength, maxKvValueBytes } from "./KeyValue.js"
import {
  checkInstanceId,
  checkJsonData,
  checkLimit,
  checkObject,
  checkPluginName,
  invalidArgument,
  isoOf
} from "./validate.js"

const check = <A>(result: Result.Result<A, InvalidInputError>) => Effect.fromResult(result)
const keyPattern = /^[A-Za-z0-9._:/@+=-]+$/u

/** Checks a key-value key (or a prefix, which may be empty). */
export const checkKvKey = (
  subject: string,
  path: string,
  value: unknown,
  allowEmpty = false
): Result.Result<string, InvalidInputError> =>
  typeof value === "string" &&
  value.length <= maxKvKeyLength &&
  ((allowEmpty && value === "") || keyPattern.test(value))
    ? Result.succeed(value)
    : Result.fail(
        invalidArgument(
          subject,
          path,
          `expected 1 to ${maxKvKeyLength} characters of A-Z a-z 0-9 . _ : / @ + = -`
        )
      )

/** Builds the `KeyValue` port over a backend. */
export const makeKeyValue = (backend: KvBackend): KeyValueShape => {
  const args = (subject: string, ci: unknown, pluginId: unknown, key: unknown) =>
    Effect.gen(function* () {
      const instance = yield* check(checkInstanceId(subject, ci))
      const plugin = yield* check(checkPluginName(subject, pluginId))
      const k = yield* check(checkKvKey(subject, "$.key", key))
      return { instance, plugin, key: k }
    })

  return {
    get: (ci, pluginId, key) =>
      Effect.gen(function* () {
        const a = yield* args("KeyValue.get", ci, pluginId, key)
        return Option.fromUndefinedOr(yield* backend.getKv(a.instance, a.plugin, a.key))
      }),

    set: (ci, pluginId, key, value) =>
      Effect.gen(function* () {
        const subject = "KeyValue.set"
        const a = yield* args(subject, ci, pluginId, key)
        yield* check(checkJsonData(subject, "$.value", value, maxKvValueBytes))
        const entry: KvEntry = {
          customerInstanceId: a.instance,
          pluginId: a.plugin,
          key: a.key,
          value,
          updatedAt: isoOf(yield* Clock.currentTimeMillis)
        }
        yield* backend.setKv(entry)
        return entry
      }),

    delete: (ci, pluginId, key) =>
      Effect.gen(function* () {
        const a = yield* args("KeyValue.delete", ci, pluginId, key)
        return yield* backend.deleteKv(a.instance, a.plugin, a.key)
      }),

    list: (ci, pluginId, query) =>
      Effect.gen(function* () {
        const subject = "KeyValue.list"
        const instance = yield* check(checkInstanceId(subject, ci))
        const plugin = yield* check(checkPluginName(subject, pluginId))
        const q = yield* check(checkObject(subject, "$.query", query, ["prefix", "limit", "cursor"]))
        const prefix =
          q.prefix === undefined ? undefined : yield* check(checkKvKey(subject, "$.prefix", q.prefix, true))
        const limit = yield* check(checkLimit(subject, q.limit))
        const binding = {
          scope: `kv:${plugin}`,
          customerInstanceId: instance,
          filters: { prefix: prefix ?? "" }
        }
        const position = yield* check(decodeCursor(subject, q.cursor, binding))
        if (position !== undefined && typeof position !== "string") {
          return yield* invalidArgument(subject, "$.cursor", "not a cursor of this list")
        }
        const rows = yield* backend.listKv(instance, plugin, {
          ...(prefix ? { prefix } : {}),
          ...(position === undefined ? {} : { after: position }),
          limit: limit + 1
        })
        const items = rows.slice(0, limit)
        const last = items.at(-1)
        return rows.length > limit && last !== undefined
          ? { items, nextCursor: encodeCursor(binding, last.key) }
          : { items }
      })
  }
}
