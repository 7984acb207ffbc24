import { Result } from "effect"
import { decodeUnknown } from "../contracts/decode.js"
import { PluginManifestV2 } from "../contracts/PluginManifest.js"
import { defaultJsonLimits, type JsonLimits } from "../json/limits.js"
import { parseJson } from "../json/safeJson.js"
import { findDuplicateKeys } from "./internal/duplicateKeys.js"
import { type PluginError, pluginError } from "./PluginError.js"

/** File name of the manifest at the root of every plugin package. */
export const MANIFEST_FILE = "bga-plugin.json"

/** Limits for manifest text: a manifest is small, so the bounds are far below the general ones. */
export const manifestLimits: JsonLimits = {
  ...defaultJsonLimits,
  maxBytes: 64 * 1024,
  maxDepth: 8,
  maxStringLength: 4096,
  maxCollectionSize: 256
}

/**
 * Parses manifest text strictly: size and depth limits, valid JSON, no duplicate keys (the
 * standard parser keeps the last silently), no `__proto__` keys, then the `PluginManifestV2`
 * schema with unknown keys rejected. Every failure names the JSON path at fault.
 */
export const parseManifest = (
  text: string,
  source = MANIFEST_FILE
): Result.Result<PluginManifestV2, PluginError> => {
  const parsed = parseJson(text, "PluginManifestV2", manifestLimits)
  if (Result.isFailure(parsed)) {
    return Result.fail(
      pluginError("invalid-manifest", source, parsed.failure.message, { problems: parsed.failure.problems })
    )
  }
  const duplicates = findDuplicateKeys(text)
  if (duplicates.length > 0) {
    return Result.fail(
      pluginError("duplicate-key", source, "the manifest repeats a key", { problems: duplicates })
    )
  }
  const decoded = decodeUnknown(PluginManifestV2, "PluginManifestV2", manifestLimits)(parsed.success)
  if (Result.isFailure(decoded)) {
    return Result.fail(
      pluginError("invalid-manifest", source, "the manifest does not match PluginManifestV2", {
        problems: decoded.failure.problems
      })
    )
  }
  return Result.succeed(decoded.success)
}

/** `name@version`, the way plugins are named in errors, decisions and install folders. */
export const pluginRef = (manifest: { readonly name: string; readonly version: string }): string =>
  `${manifest.name}@${manifest.version}`
