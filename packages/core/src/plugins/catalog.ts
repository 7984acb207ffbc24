import { Result } from "effect"
import { decodeUnknown } from "../contracts/decode.js"
import { type PluginCatalogEntry, PluginCatalogV1 } from "../contracts/PluginCatalog.js"
import { defaultJsonLimits, type JsonLimits } from "../json/limits.js"
import { parseJson } from "../json/safeJson.js"
import { findDuplicateKeys } from "./internal/duplicateKeys.js"
import { type Keyring, lookupKey } from "./keyring.js"
import { type PluginError, pluginError } from "./PluginError.js"
import { verifyDocument } from "./signing.js"

/** A catalog whose signature checked out, indexed by `name@version`. */
export interface VerifiedCatalog {
  readonly entries: ReadonlyMap<string, PluginCatalogEntry>
  readonly keyId: string
}

const catalogLimits: JsonLimits = { ...defaultJsonLimits, maxBytes: 8 * 1024 * 1024, maxDepth: 8 }

/**
 * Reads a curated catalog strictly (limits, no duplicate keys, `PluginCatalogV1`) and checks
 * its signature against the catalog signing keys. An unsigned catalog is refused.
 */
export const parseCatalog = (
  text: string,
  signingKeys: Keyring,
  source = "plugin catalog"
): Result.Result<VerifiedCatalog, PluginError> => {
  const fail = (detail: string, problems?: ReadonlyArray<{ path: string; message: string }>) =>
    Result.fail(pluginError("catalog-invalid", source, detail, problems ? { problems } : {}))
  const parsed = parseJson(text, "PluginCatalogV1", catalogLimits)
  if (Result.isFailure(parsed)) return fail(parsed.failure.message, parsed.failure.problems)
  const duplicates = findDuplicateKeys(text)
  if (duplicates.length > 0) return fail("the catalog repeats a key", duplicates)
  const decoded = decodeUnknown(PluginCatalogV1, "PluginCatalogV1", catalogLimits)(parsed.success)
  if (Result.isFailure(decoded))
    return fail("the catalog does not match PluginCatalogV1", decoded.failure.problems)
  const catalog = decoded.success
  if (catalog.signature === undefined) return fail("the catalog is not signed")
  const key = lookupKey(signingKeys, catalog.signature.keyId, source)
  if (Result.isFailure(key))
    return fail(`catalog ${key.failure.detail.replace("plugins.trustedKeys", "plugins.catalog.signingKeys")}`)
  if (!verifyDocument(catalog, catalog.signature.value, key.success)) {
    return fail(
      `the catalog signature does not verify with key ${catalog.signature.keyId} (altered after signing?)`
    )
  }
  const entries = new Map<string, PluginCatalogEntry>()
  for (const entry of catalog.entries) {
    const ref = `${entry.name}@${entry.version}`
    if (entries.has(ref)) return fail(`${ref} is listed twice`)
    entries.set(ref, entry)
  }
  return Result.succeed({ entries, keyId: catalog.signature.keyId })
}
