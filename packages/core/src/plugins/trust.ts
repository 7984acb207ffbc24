import { readFileSync } from "node:fs"
import { Result } from "effect"
import semver from "semver"
import type { PluginCatalogEntry } from "../contracts/PluginCatalog.js"
import type { PluginManifestV2 } from "../contracts/PluginManifest.js"
import { parseCatalog, type VerifiedCatalog } from "./catalog.js"
import { coreVersion } from "./internal/coreVersion.js"
import { type Keyring, lookupKey, makeKeyring } from "./keyring.js"
import { pluginRef } from "./manifest.js"
import { type PluginError, pluginError } from "./PluginError.js"
import { verifyDocument } from "./signing.js"

/** `signed`: a trusted, unrevoked publisher signed it. `curated`: that, and it is in the signed catalog. */
export type TrustMode = "signed" | "curated"

/** Where a plugin may run: its own sandboxed process, or inside the host (curated first-party only). */
export type IsolationLevel = "isolated" | "in-process"

/** Everything the host decides trust with; built once from configuration. */
export interface TrustPolicy {
  readonly mode: TrustMode
  readonly keyring: Keyring
  readonly catalog: VerifiedCatalog | undefined
  /** The @bga/core version plugins must be compatible with (their `sdkVersion` range). */
  readonly sdkVersion: string
}

/** The `plugins` section of the configuration, as far as trust needs it. */
export interface PluginTrustSettings {
  readonly trustMode: TrustMode
  readonly trustedKeys: ReadonlyArray<{ readonly keyId: string; readonly publicKey: string }>
  readonly revokedKeyIds: ReadonlyArray<string>
  readonly catalog?: {
    readonly path: string
    readonly signingKeys: ReadonlyArray<{ readonly keyId: string; readonly publicKey: string }>
  }
}

/**
 * Builds the trust policy from configuration. In `curated` mode the catalog file is read and
 * its signature checked now, so a host with a bad catalog fails at start, not at first load.
 */
export const trustPolicyFromConfig = (
  settings: PluginTrustSettings,
  options: { readonly readFile?: (path: string) => string; readonly sdkVersion?: string } = {}
): Result.Result<TrustPolicy, PluginError> => {
  const keyring = makeKeyring(settings.trustedKeys, settings.revokedKeyIds)
  if (Result.isFailure(keyring)) return Result.fail(keyring.failure)
  let catalog: VerifiedCatalog | undefined
  if (settings.catalog !== undefined) {
    const signingKeys = makeKeyring(settings.catalog.signingKeys, settings.revokedKeyIds)
    if (Result.isFailure(signingKeys)) return Result.fail(signingKeys.failure)
    let text: string
    try {
      text = (options.readFile ?? ((p) => readFileSync(p, "utf8")))(settings.catalog.path)
    } catch (error) {
      return Result.fail(
        pluginError(
          "catalog-invalid",
          settings.catalog.path,
          `cannot read the catalog: ${(error as Error).message}`
        )
      )
    }
    const parsed = parseCatalog(text, signingKeys.success, settings.catalog.path)
    if (Result.isFailure(parsed)) return Result.fail(parsed.failure)
    catalog = parsed.success
  } else if (settings.trustMode === "curated") {
    return Result.fail(
      pluginError(
        "catalog-invalid",
        "configuration",
        "trust mode curated needs plugins.catalog (path and signingKeys)"
      )
    )
  }
  return Result.succeed({
    mode: settings.trustMode,
    keyring: keyring.success,
    catalog,
    sdkVersion: options.sdkVersion ?? coreVersion
  })
}

/** Why a plugin is trusted: the rule that allowed it and what it may do. */
export interface TrustVerdict {
  readonly manifest: PluginManifestV2
  readonly keyId: string
  readonly mode: TrustMode
  /** The policy rule that allowed it, e.g. `plugins.trust.signed`. */
  readonly ruleId: string
  readonly catalogEntry: PluginCatalogEntry | undefined
  /** The strongest isolation level the host may relax to: `in-process` only for curated first-party plugins. */
  readonly allowedIsolation: IsolationLevel
}

/**
 * Decides whether a manifest is trusted, in this order: signed at all; the signature names the
 * publisher's key; the key is not revoked; the key is trusted; the signature verifies over the
 * canonical manifest (so a permission added after signing fails here); in curated mode, the
 * release is in the catalog with the same checksum and no permission beyond the approved ones;
 * the plugin is built for this SDK. Pure and synchronous: the package checksum is compared by
 * the caller against `manifest.checksum` once this has authenticated the manifest.
 */
export const evaluateTrust = (
  manifest: PluginManifestV2,
  policy: TrustPolicy
): Result.Result<TrustVerdict, PluginError> => {
  const ref = pluginRef(manifest)
  const { signature } = manifest
  if (signature === undefined) {
    return Result.fail(
      pluginError("unsigned", ref, "the manifest has no signature; unsigned plugins never load")
    )
  }
  if (signature.keyId !== manifest.publisher.keyId) {
    return Result.fail(
      pluginError(
        "key-mismatch",
        ref,
        `signed with key ${signature.keyId} but the publisher ${manifest.publisher.name} signs with ${manifest.publisher.keyId}`
      )
    )
  }
  const key = lookupKey(policy.keyring, signature.keyId, ref)
  if (Result.isFailure(key)) return Result.fail(key.failure)
  if (!verifyDocument(manifest, signature.value, key.success)) {
    return Result.fail(
      pluginError(
        "bad-signature",
        ref,
        `the signature does not verify with key ${signature.keyId}: the manifest was altered after signing or signed by another key`
      )
    )
  }
  let catalogEntry: PluginCatalogEntry | undefined
  if (policy.mode === "curated") {
    catalogEntry = policy.catalog?.entries.get(ref)
    if (catalogEntry === undefined) {
      return Result.fail(pluginError("not-in-catalog", ref, `${ref} is not in the curated catalog`))
    }
    if (catalogEntry.checksum !== manifest.checksum) {
      return Result.fail(
        pluginError(
          "catalog-mismatch",
          ref,
          `the catalog approves checksum ${catalogEntry.checksum} but the manifest declares ${manifest.checksum}`
        )
      )
    }
    const approved = new Set(catalogEntry.permissions)
    const extra = manifest.permissions.filter((p) => !approved.has(p))
    if (extra.length > 0) {
      return Result.fail(
        pluginError("catalog-mismatch", ref, `permissions not approved by the catalog: ${extra.join(", ")}`)
      )
    }
  }
  if (!semver.satisfies(policy.sdkVersion, manifest.sdkVersion, { includePrerelease: true })) {
    return Result.fail(
      pluginError(
        "incompatible-sdk",
        ref,
        `built for @bga/core ${manifest.sdkVersion}, this host runs ${policy.sdkVersion}`
      )
    )
  }
  return Result.succeed({
    manifest,
    keyId: signature.keyId,
    mode: policy.mode,
    ruleId: policy.mode === "curated" ? "plugins.trust.curated" : "plugins.trust.signed",
    catalogEntry,
    allowedIsolation: catalogEntry?.isolation === "in-process" ? "in-process" : "isolated"
  })
}
