import { Schema } from "effect"
import { JsonProblem } from "../json/JsonError.js"

/** Why a plugin was refused or failed; each reason names one rule of plugin governance. */
export const PluginErrorReason = Schema.Literals([
  "invalid-manifest",
  "manifest-missing",
  "duplicate-key",
  "checksum-mismatch",
  "unsigned",
  "bad-signature",
  "key-mismatch",
  "untrusted-key",
  "revoked-key",
  "invalid-key",
  "catalog-invalid",
  "not-in-catalog",
  "catalog-mismatch",
  "incompatible-sdk",
  "unsafe-package",
  "unsafe-archive",
  "package-mismatch",
  "already-installed",
  "not-installed",
  "install-failed",
  "isolation-denied",
  "isolation-unavailable",
  "load-failed",
  "permission-denied",
  "plugin-crashed",
  "timeout",
  "tool-failed",
  "governance-failed"
])
export type PluginErrorReason = typeof PluginErrorReason.Type

/**
 * A plugin could not be verified, installed, loaded or called. It crosses into the audit log,
 * so its message is computed from fields: the reason, the plugin, and exactly what was wrong.
 */
export class PluginError extends Schema.TaggedError<PluginError>()("@bga/core/PluginError", {
  reason: PluginErrorReason,
  /** `name@version` when known, else where the plugin came from. */
  plugin: Schema.String,
  detail: Schema.String,
  problems: Schema.optionalKey(Schema.Array(JsonProblem)),
  cause: Schema.optionalKey(Schema.Defect())
}) {
  override get message(): string {
    const problems = (this.problems ?? [])
      .slice(0, 5)
      .map((p) => `${p.path}: ${p.message}`)
      .join("; ")
    return `plugin ${this.plugin} (${this.reason}): ${this.detail}${problems ? ` — ${problems}` : ""}`
  }
}

/** Shorthand used across the plugins module. */
export const pluginError = (
  reason: PluginErrorReason,
  plugin: string,
  detail: string,
  extra: { readonly problems?: ReadonlyArray<JsonProblem>; readonly cause?: unknown } = {}
): PluginError =>
  new PluginError({
    reason,
    plugin,
    detail,
    ...(extra.problems ? { problems: [...extra.problems] } : {}),
    ...(extra.cause !== undefined ? { cause: extra.cause } : {})
  })
