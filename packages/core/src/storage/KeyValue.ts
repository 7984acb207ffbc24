import { Context, type Effect, type Option } from "effect"
import type { Json as JsonValue } from "effect/Schema"
import type { InvalidInputError } from "../json/JsonError.js"
import type { Page } from "./cursor.js"
import type { StorageError } from "./errors.js"

/** One stored value of a plugin. */
export interface KvEntry {
  readonly customerInstanceId: string
  readonly pluginId: string
  readonly key: string
  readonly value: JsonValue
  readonly updatedAt: string
}

/** Filters of `KeyValue.list`, in key order (byte order of the ASCII keys). */
export interface KvQuery {
  readonly prefix?: string
  readonly limit?: number
  readonly cursor?: string
}

/** Longest key accepted. Keys use `A-Z a-z 0-9 . _ : / @ + = -`, so byte order equals code-point order everywhere. */
export const maxKvKeyLength = 512

/** Largest value accepted, as bytes of its canonical JSON. */
export const maxKvValueBytes = 256 * 1024

/**
 * Plugin-scoped state. Values live under (customer instance, plugin name, key): a plugin
 * reads and writes only its own namespace in the instance it runs for. The plugin host passes
 * the plugin's own name; a plugin never chooses it.
 */
export interface KeyValueShape {
  readonly get: (
    customerInstanceId: string,
    pluginId: string,
    key: string
  ) => Effect.Effect<Option.Option<KvEntry>, InvalidInputError | StorageError>
  readonly set: (
    customerInstanceId: string,
    pluginId: string,
    key: string,
    value: JsonValue
  ) => Effect.Effect<KvEntry, InvalidInputError | StorageError>
  /** True when a value was removed. */
  readonly delete: (
    customerInstanceId: string,
    pluginId: string,
    key: string
  ) => Effect.Effect<boolean, InvalidInputError | StorageError>
  readonly list: (
    customerInstanceId: string,
    pluginId: string,
    query?: KvQuery
  ) => Effect.Effect<Page<KvEntry>, InvalidInputError | StorageError>
}

/** The plugin key-value port. */
export class KeyValue extends Context.Service<KeyValue, KeyValueShape>()("@bga/core/KeyValue") {}
