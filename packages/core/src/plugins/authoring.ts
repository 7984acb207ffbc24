import type { KeyObject } from "node:crypto"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Result } from "effect"
import { decodeUnknown } from "../contracts/decode.js"
import { PluginCatalogV1 } from "../contracts/PluginCatalog.js"
import type { PluginManifestV2 } from "../contracts/PluginManifest.js"
import { parseJson } from "../json/safeJson.js"
import { computeChecksum } from "./checksum.js"
import { findDuplicateKeys } from "./internal/duplicateKeys.js"
import { MANIFEST_FILE, manifestLimits, parseManifest } from "./manifest.js"
import { type PluginError, pluginError } from "./PluginError.js"
import { signDocument } from "./signing.js"

/**
 * Signs a plugin package in place, the publisher's one step before shipping: computes the
 * package checksum, writes it into `bga-plugin.json`, and signs the manifest with the private
 * key. The manifest's `publisher.keyId` must be the signing key's id: the signature never
 * silently changes who the publisher is. Sign the exact tree you ship (for npm: what
 * `npm pack` packs); `verifyPackage` on a packed tarball checks that.
 */
export const signPackage = (
  root: string,
  privateKey: KeyObject,
  keyId: string
): Result.Result<PluginManifestV2, PluginError> => {
  const path = join(root, MANIFEST_FILE)
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch {
    return Result.fail(pluginError("manifest-missing", root, `no ${MANIFEST_FILE} in ${root}`))
  }
  const parsed = parseJson(text, "PluginManifestV2", manifestLimits)
  if (Result.isFailure(parsed)) {
    return Result.fail(
      pluginError("invalid-manifest", root, parsed.failure.message, { problems: parsed.failure.problems })
    )
  }
  const duplicates = findDuplicateKeys(text)
  if (duplicates.length > 0) {
    return Result.fail(
      pluginError("duplicate-key", root, "the manifest repeats a key", { problems: duplicates })
    )
  }
  const draft = parsed.success as Record<string, unknown>
  const contents = computeChecksum(root, root)
  if (Result.isFailure(contents)) return Result.fail(contents.failure)
  const { signature: _old, ...unsigned } = draft
  const withChecksum = parseManifest(
    JSON.stringify({ ...unsigned, checksum: contents.success.checksum }),
    root
  )
  if (Result.isFailure(withChecksum)) return Result.fail(withChecksum.failure)
  if (withChecksum.success.publisher.keyId !== keyId) {
    return Result.fail(
      pluginError(
        "key-mismatch",
        root,
        `publisher.keyId is ${withChecksum.success.publisher.keyId} but the signing key is ${keyId}; set publisher.keyId first`
      )
    )
  }
  const signed = signDocument(withChecksum.success, privateKey, keyId)
  writeFileSync(path, `${JSON.stringify(signed, null, 2)}\n`)
  return Result.succeed(signed)
}

/** Signs a curated catalog document (any old signature replaced); the input is decoded strictly first. */
export const signCatalog = (
  catalog: unknown,
  privateKey: KeyObject,
  keyId: string
): Result.Result<PluginCatalogV1, PluginError> => {
  const decoded = decodeUnknown(PluginCatalogV1, "PluginCatalogV1")(catalog)
  if (Result.isFailure(decoded)) {
    return Result.fail(
      pluginError("catalog-invalid", "catalog", "not a PluginCatalogV1", {
        problems: decoded.failure.problems
      })
    )
  }
  return Result.succeed(signDocument(decoded.success, privateKey, keyId))
}
