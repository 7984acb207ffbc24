import { Schema } from "effect"
import { BoundedString } from "./primitives.js"

const hostPattern = String.raw`(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?`

/**
 * The closed permission taxonomy. A plugin gets a capability only when its signed manifest
 * lists the matching permission:
 * - `tools.register`: contribute tools (namespaced by the plugin name)
 * - `egress.fetch:<host>` or `egress.fetch:*.<suffix>`: guarded HTTP to those hosts
 * - `kv.read`, `kv.write`: plugin-scoped key-value state
 * - `secrets.read:<NAME>`: one named secret
 * - `channel.send`, `events.subscribe`, `sandbox.exec`
 */
export const PluginPermission = Schema.String.check(
  Schema.isPattern(
    new RegExp(
      `^(?:tools\\.register|kv\\.read|kv\\.write|channel\\.send|events\\.subscribe|sandbox\\.exec|egress\\.fetch:${hostPattern}|secrets\\.read:[A-Z][A-Z0-9_]{0,127})$`,
      "u"
    ),
    {
      expected:
        "a permission from the taxonomy: tools.register, kv.read, kv.write, channel.send, events.subscribe, sandbox.exec, egress.fetch:<host or *.suffix>, secrets.read:<NAME>"
    }
  )
).annotate({ identifier: "PluginPermission" })
export type PluginPermission = typeof PluginPermission.Type

/** npm-style package name; cannot contain `..`, path separators (other than the scope) or uppercase. */
export const PluginName = Schema.String.check(
  Schema.isPattern(/^(?:@[a-z0-9][a-z0-9._-]{0,63}\/)?[a-z0-9][a-z0-9._-]{0,127}$/u, {
    expected: "a lowercase npm package name such as @acme/crm-tools"
  }),
  Schema.makeFilter((name: string) => !name.includes("..") || "a plugin name must not contain '..'")
).annotate({ identifier: "PluginName" })

/** Strict semantic version (no leading v, no ranges). */
export const SemVerString = Schema.String.check(
  Schema.isPattern(
    /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:-[0-9A-Za-z-]{1,64}(?:\.[0-9A-Za-z-]{1,64}){0,8})?(?:\+[0-9A-Za-z-]{1,64}(?:\.[0-9A-Za-z-]{1,64}){0,8})?$/u,
    { expected: "a semantic version such as 1.2.3" }
  )
).annotate({ identifier: "SemVer" })

/** A path inside the plugin package: relative, forward slashes, no `..` segments. */
export const PackagePath = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9._@-][A-Za-z0-9._@/-]{0,255}$/u, {
    expected: "a relative path inside the package"
  }),
  Schema.makeFilter(
    (path: string) =>
      !path.split("/").some((segment) => segment === "" || segment === "." || segment === "..") ||
      "a package path must not contain empty, . or .. segments"
  )
)

/** The publisher of a plugin and the id of the key it signs with. */
export const PluginPublisher = Schema.Struct({
  name: BoundedString(128, 1),
  keyId: BoundedString(128, 1)
}).annotate({ identifier: "PluginPublisher" })

/** An ed25519 signature over the canonical JSON of the manifest without `signature`. */
export const PluginSignature = Schema.Struct({
  algorithm: Schema.Literal("ed25519"),
  keyId: BoundedString(128, 1),
  /** base64 of the 64-byte signature. */
  value: Schema.String.check(
    Schema.isPattern(/^[A-Za-z0-9+/]{86}==$/u, { expected: "base64 of a 64-byte ed25519 signature" })
  )
}).annotate({ identifier: "PluginSignature" })

/** A tool's local name inside its plugin (the host namespaces it by the plugin). */
export const PluginToolName = Schema.String.check(
  Schema.isPattern(/^[a-z][a-z0-9_-]{0,63}$/u, { expected: "a tool name such as lookup_customer" })
).annotate({ identifier: "PluginToolName" })

/** A tool the plugin declares; it may register only the tools its signed manifest lists. */
export const PluginToolDeclaration = Schema.Struct({
  name: PluginToolName,
  description: BoundedString(1024, 1)
}).annotate({ identifier: "PluginToolDeclaration" })
export type PluginToolDeclaration = typeof PluginToolDeclaration.Type

const uniqueToolNames = Schema.makeFilter(
  (tools: ReadonlyArray<PluginToolDeclaration>) =>
    new Set(tools.map((t) => t.name)).size === tools.length || "tool names must be unique"
)

/**
 * Plugin manifest, version 2. `manifestVersion` is the contract's version literal (`version`
 * is the plugin's own semver). The key that verifies `signature` comes from the host's trusted
 * keyring, never from the manifest.
 */
export const PluginManifestV2 = Schema.Struct({
  manifestVersion: Schema.Literal(2),
  name: PluginName,
  version: SemVerString,
  description: Schema.optionalKey(BoundedString(1024)),
  publisher: PluginPublisher,
  /** Entry module, relative to the package root. */
  entry: PackagePath,
  permissions: Schema.UniqueArray(PluginPermission).check(Schema.isMaxLength(64)),
  /** `sha256:` + hex digest of the package contents (sorted paths, sizes, per-file sha256). */
  checksum: Schema.String.check(
    Schema.isPattern(/^sha256:[0-9a-f]{64}$/u, { expected: "sha256:<64 lowercase hex characters>" })
  ),
  /** Semver range of @bga/core the plugin is built against. */
  sdkVersion: Schema.String.check(
    Schema.isPattern(/^[\^~]?(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/u, {
      expected: "a version range such as ^0.1.0"
    })
  ),
  /** Tools the plugin may register (requires the `tools.register` permission). */
  tools: Schema.optionalKey(
    Schema.Array(PluginToolDeclaration).check(Schema.isMaxLength(64), uniqueToolNames)
  ),
  signature: Schema.optionalKey(PluginSignature)
}).annotate({ identifier: "PluginManifestV2", title: "PluginManifestV2" })
export type PluginManifestV2 = typeof PluginManifestV2.Type
