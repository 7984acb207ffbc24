import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Result } from "effect"
import { hashOf } from "../hash.js"
import { type PackageLimits, scanPackage } from "./internal/scan.js"
import { MANIFEST_FILE } from "./manifest.js"
import type { PluginError } from "./PluginError.js"

/** Version tag hashed into every checksum, so the format can change without ambiguity. */
export const CHECKSUM_FORMAT = "bga-plugin-checksum/1"

/** Top-level entries the checksum leaves out (see `computeChecksum`). */
export const CHECKSUM_EXCLUDED: ReadonlySet<string> = new Set([MANIFEST_FILE, "node_modules"])

/** A computed package checksum and what it covered. */
export interface PackageChecksum {
  /** `sha256:<hex>`, the value a manifest's `checksum` must equal. */
  readonly checksum: string
  readonly files: number
  readonly bytes: number
}

/**
 * The package checksum, `sha256:` + `hashOf(document)` where `document` is
 * `{"format":"bga-plugin-checksum/1","entries":[...]}` and the entries, sorted by path (UTF-16
 * code unit order), are `{"path","size","sha256"}` for each regular file and
 * `{"path","symlink"}` (the link text) for each symlink, paths relative with `/` separators.
 *
 * Covered: every regular file and symlink under the package root. Not covered: the manifest
 * file itself (`bga-plugin.json`, which carries the checksum and is covered by the signature
 * instead), the top-level `node_modules/` folder (dependencies installed at install time), and
 * empty folders, file modes and timestamps.
 */
export const computeChecksum = (
  root: string,
  plugin: string,
  limits?: PackageLimits
): Result.Result<PackageChecksum, PluginError> => digestTree(root, plugin, CHECKSUM_EXCLUDED, limits)

/**
 * The same digest over a whole tree with nothing left out but `skip`; the installer records it
 * for `node_modules` so dependencies changed after install are caught at load.
 */
export const digestTree = (
  root: string,
  plugin: string,
  skip: ReadonlySet<string> = new Set(),
  limits?: PackageLimits
): Result.Result<PackageChecksum, PluginError> => {
  const scanned = scanPackage(root, plugin, { skip, ...(limits ? { limits } : {}) })
  if (Result.isFailure(scanned)) return Result.fail(scanned.failure)
  const entries = scanned.success
    .map((entry) => {
      if (entry.kind === "symlink") return { path: entry.path, symlink: entry.target }
      // Size and digest come from the same bytes, so a file growing mid-scan cannot split them.
      const bytes = readFileSync(join(root, entry.path))
      return {
        path: entry.path,
        size: bytes.length,
        sha256: createHash("sha256").update(bytes).digest("hex")
      }
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const bytes = entries.reduce((sum, e) => sum + ("size" in e ? e.size : 0), 0)
  return Result.succeed({
    checksum: `sha256:${hashOf({ format: CHECKSUM_FORMAT, entries })}`,
    files: entries.length,
    bytes
  })
}
