import { Schema } from "effect"
import { PluginName, PluginPermission, PluginSignature, SemVerString } from "./PluginManifest.js"
import { Timestamp } from "./primitives.js"

/** One curated plugin release: exactly this name, version and package checksum. */
export const PluginCatalogEntry = Schema.Struct({
  name: PluginName,
  version: SemVerString,
  /** The package checksum the curator reviewed (`sha256:<hex>`, see the manifest's `checksum`). */
  checksum: Schema.String.check(
    Schema.isPattern(/^sha256:[0-9a-f]{64}$/u, { expected: "sha256:<64 lowercase hex characters>" })
  ),
  /** The permissions the curator approved; a manifest asking for more is refused. */
  permissions: Schema.UniqueArray(PluginPermission).check(Schema.isMaxLength(64)),
  /** `in-process` marks a first-party plugin allowed to run inside the host process. */
  isolation: Schema.optionalKey(Schema.Literals(["isolated", "in-process"]))
}).annotate({ identifier: "PluginCatalogEntry" })
export type PluginCatalogEntry = typeof PluginCatalogEntry.Type

/**
 * The curated plugin catalog (trust mode `curated`): an explicit list of releases, signed with
 * ed25519 over the canonical JSON of the catalog without `signature` by a catalog key named in
 * the host configuration.
 */
export const PluginCatalogV1 = Schema.Struct({
  catalogVersion: Schema.Literal(1),
  issuedAt: Schema.optionalKey(Timestamp),
  entries: Schema.Array(PluginCatalogEntry).check(Schema.isMaxLength(10_000)),
  signature: Schema.optionalKey(PluginSignature)
}).annotate({ identifier: "PluginCatalogV1", title: "PluginCatalogV1" })
export type PluginCatalogV1 = typeof PluginCatalogV1.Type
