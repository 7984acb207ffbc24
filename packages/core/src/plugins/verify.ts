import { lstatSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Result } from "effect"
import type { PluginManifestV2 } from "../contracts/PluginManifest.js"
import { parseJson } from "../json/safeJson.js"
import { computeChecksum, type PackageChecksum } from "./checksum.js"
import type { PackageLimits } from "./internal/scan.js"
import { MANIFEST_FILE, manifestLimits, parseManifest, pluginRef } from "./manifest.js"
import { type PluginError, pluginError } from "./PluginError.js"
import { evaluateTrust, type TrustPolicy, type TrustVerdict } from "./trust.js"

/** A package whose manifest, signature, trust and contents all checked out. */
export interface VerifiedPackage extends TrustVerdict {
  readonly root: string
  readonly contents: PackageChecksum
}

/** Reads a plugin's manifest file without following a symlink and without reading past the limit. */
export const readManifestFile = (
  root: string,
  source: string
): Result.Result<PluginManifestV2, PluginError> => {
  const path = join(root, MANIFEST_FILE)
  let text: string
  try {
    const stat = lstatSync(path)
    if (!stat.isFile()) {
      return Result.fail(pluginError("invalid-manifest", source, `${MANIFEST_FILE} is not a regular file`))
    }
    if (stat.size > manifestLimits.maxBytes) {
      return Result.fail(
        pluginError(
          "invalid-manifest",
          source,
          `${MANIFEST_FILE} is ${stat.size} bytes, over the limit of ${manifestLimits.maxBytes}`
        )
      )
    }
    text = readFileSync(path, "utf8")
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return Result.fail(
      code === "ENOENT"
        ? pluginError("manifest-missing", source, `no ${MANIFEST_FILE} at the package root`)
        : pluginError("invalid-manifest", source, `cannot read ${MANIFEST_FILE}: ${code ?? error}`)
    )
  }
  return parseManifest(text, source)
}

/** package.json, when present, must describe the same release as the manifest. */
const checkPackageJson = (root: string, manifest: PluginManifestV2): Result.Result<void, PluginError> => {
  const ref = pluginRef(manifest)
  let text: string
  try {
    if (!lstatSync(join(root, "package.json")).isFile()) {
      return Result.fail(pluginError("package-mismatch", ref, "package.json is not a regular file"))
    }
    text = readFileSync(join(root, "package.json"), "utf8")
  } catch {
    return Result.void
  }
  const parsed = parseJson(text, "package.json")
  if (Result.isFailure(parsed))
    return Result.fail(pluginError("package-mismatch", ref, parsed.failure.message))
  const pkg = parsed.success as { name?: unknown; version?: unknown }
  if (pkg.name !== manifest.name || pkg.version !== manifest.version) {
    return Result.fail(
      pluginError(
        "package-mismatch",
        ref,
        `package.json describes ${String(pkg.name)}@${String(pkg.version)}, the manifest ${ref}`
      )
    )
  }
  return Result.void
}

/**
 * Verifies a plugin package on disk without running any of it: strict manifest, trust (see
 * `evaluateTrust`), then the contents against the signed checksum, then package.json. The
 * plugin's code is never imported here.
 */
export const verifyPackage = (
  root: string,
  policy: TrustPolicy,
  options: { readonly source?: string; readonly limits?: PackageLimits } = {}
): Result.Result<VerifiedPackage, PluginError> => {
  const manifest = readManifestFile(root, options.source ?? root)
  if (Result.isFailure(manifest)) return Result.fail(manifest.failure)
  const verdict = evaluateTrust(manifest.success, policy)
  if (Result.isFailure(verdict)) return Result.fail(verdict.failure)
  const ref = pluginRef(manifest.success)
  const contents = computeChecksum(root, ref, options.limits)
  if (Result.isFailure(contents)) return Result.fail(contents.failure)
  if (contents.success.checksum !== manifest.success.checksum) {
    return Result.fail(
      pluginError(
        "checksum-mismatch",
        ref,
        `the package contents hash to ${contents.success.checksum} but the signed manifest declares ${manifest.success.checksum}: files were changed, added or removed after signing`
      )
    )
  }
  const pkg = checkPackageJson(root, manifest.success)
  if (Result.isFailure(pkg)) return Result.fail(pkg.failure)
  return Result.succeed({ ...verdict.success, root, contents: contents.success })
}
