import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Effect, Result } from "effect"
import type { PluginManifestV2 } from "../contracts/PluginManifest.js"
import { newId } from "../ids.js"
import { digestTree } from "./checksum.js"
import type { GovernanceContext, PluginGovernanceRecorder } from "./governance.js"
import { copyPackageDir } from "./internal/copyDir.js"
import { hasDependencies, npmInstallDependencies, npmPack } from "./internal/npm.js"
import { recordDecision } from "./internal/record.js"
import { defaultPackageLimits, type PackageLimits, scanPackage } from "./internal/scan.js"
import { extractTarball } from "./internal/tarball.js"
import { MANIFEST_FILE, pluginRef } from "./manifest.js"
import { PluginError, pluginError } from "./PluginError.js"
import type { TrustPolicy } from "./trust.js"
import { type VerifiedPackage, verifyPackage } from "./verify.js"

/** Where a plugin is installed from. */
export type PluginSource =
  | { readonly kind: "directory"; readonly path: string }
  | { readonly kind: "tarball"; readonly path: string }
  | { readonly kind: "npm"; readonly spec: string }

/** Describes a source for errors and audit events. */
export const describeSource = (source: PluginSource): string =>
  source.kind === "npm" ? `npm:${source.spec}` : `${source.kind}:${source.path}`

/** What the installer writes next to an installed package; checked again at every load. */
export interface InstallReceipt {
  readonly receiptVersion: 1
  readonly plugin: string
  readonly checksum: string
  readonly keyId: string
  readonly trustMode: string
  readonly installedAt: string
  readonly source: string
  /** Digest of `node_modules` as installed (same format as the checksum), or null without dependencies. */
  readonly dependencies: string | null
}

/** An installed plugin: `dir` holds `package/` (the verified package) and `receipt.json`. */
export interface InstalledPlugin {
  readonly ref: string
  readonly dir: string
  readonly packageDir: string
  readonly manifest: PluginManifestV2
  readonly receipt: InstallReceipt
}

/** Options of `installPlugin`. */
export interface InstallOptions {
  readonly source: PluginSource
  /** Folder holding installed plugins (config `plugins.installDir`). */
  readonly installDir: string
  readonly policy: TrustPolicy
  readonly limits?: PackageLimits
  /** Replace an installed plugin of the same name@version (atomically). */
  readonly replace?: boolean
  /** npm executable used for `npm pack` and dependency installs. */
  readonly npmCommand?: string
  readonly npmTimeoutMs?: number
}

/** The folder name of an installed plugin: the URI-encoded name (scopes included) and version. */
export const installFolderName = (manifest: { readonly name: string; readonly version: string }): string =>
  `${encodeURIComponent(manifest.name)}@${manifest.version}`

/** @internal Finds the package root of an unpacked tarball: the folder itself or its one top folder (npm's `package/`). */
export const packageRootOf = (raw: string, plugin: string): string => {
  const root = existsSync(join(raw, MANIFEST_FILE))
    ? raw
    : (() => {
        const top = readdirSync(raw)
        if (top.length === 1 && statSync(join(raw, top[0]!)).isDirectory()) return join(raw, top[0]!)
        throw pluginError(
          "manifest-missing",
          plugin,
          `no ${MANIFEST_FILE} at the root of the tarball or of its one top folder`
        )
      })()
  // The checksum leaves node_modules out (npm fills it after verification). A package that
  // ships one would slip unsigned code past the signature, and npm would keep it: refused.
  if (existsSync(join(root, "node_modules"))) {
    throw pluginError(
      "unsafe-archive",
      plugin,
      "the package ships node_modules; dependencies are installed from package.json after verification"
    )
  }
  return root
}

/** A staged, verified install that has not been made visible yet. */
export interface PreparedInstall {
  readonly verified: VerifiedPackage
  readonly commit: () => Result.Result<InstalledPlugin, PluginError>
  readonly discard: () => void
}

const toPluginError = (error: unknown, plugin: string): PluginError =>
  error instanceof PluginError
    ? error
    : pluginError("install-failed", plugin, `${(error as Error).message ?? String(error)}`, { cause: error })

/**
 * Stages and verifies a plugin without making it visible: the package is materialized in a
 * staging folder under `installDir` (same file system, so the final move is one rename),
 * verified (manifest, signature, trust, checksum, no unsafe entries) before anything of it
 * runs, then its dependencies are installed with lifecycle scripts off. On any failure the
 * staging folder is removed, so nothing partial is ever left.
 */
export const prepareInstall = async (
  options: InstallOptions
): Promise<Result.Result<PreparedInstall, PluginError>> => {
  const limits = options.limits ?? defaultPackageLimits
  const source = describeSource(options.source)
  const installDir = resolve(options.installDir)
  const staging = join(installDir, ".staging", newId())
  const discard = () => rmSync(staging, { recursive: true, force: true })
  try {
    mkdirSync(staging, { recursive: true })
    const raw = join(staging, "raw")
    mkdirSync(raw)
    let root: string
    switch (options.source.kind) {
      case "directory": {
        const from = resolve(options.source.path)
        if (!statSync(from).isDirectory()) throw pluginError("install-failed", source, "not a folder")
        copyPackageDir(from, raw, limits, source)
        root = raw
        break
      }
      case "tarball": {
        await extractTarball(resolve(options.source.path), raw, limits, source)
        root = packageRootOf(raw, source)
        break
      }
      case "npm": {
        const packed = join(staging, "packed")
        mkdirSync(packed)
        const tarball = await npmPack(options.source.spec, packed, {
          npmCommand: options.npmCommand ?? "npm",
          timeoutMs: options.npmTimeoutMs ?? 120_000
        })
        await extractTarball(tarball, raw, limits, source)
        root = packageRootOf(raw, source)
        break
      }
    }
    // The whole staged tree is scanned (links resolving outside refused) before verification.
    const safe = scanPackage(root, source, { limits })
    if (Result.isFailure(safe)) throw safe.failure
    const verified = verifyPackage(root, options.policy, { source, limits })
    if (Result.isFailure(verified)) throw verified.failure
    const ref = pluginRef(verified.success.manifest)
    // Only now, with the package verified, may npm touch it, and still no script runs.
    let dependencies: string | null = null
    if (hasDependencies(root)) {
      await npmInstallDependencies(root, ref, {
        npmCommand: options.npmCommand ?? "npm",
        timeoutMs: options.npmTimeoutMs ?? 120_000
      })
      const deps = join(root, "node_modules")
      if (existsSync(deps)) {
        const digest = digestTree(deps, ref, new Set(), limits)
        if (Result.isFailure(digest)) throw digest.failure
        dependencies = digest.success.checksum
      }
    }
    const receipt: InstallReceipt = {
      receiptVersion: 1,
      plugin: ref,
      checksum: verified.success.manifest.checksum,
      keyId: verified.success.keyId,
      trustMode: verified.success.mode,
      installedAt: new Date().toISOString(),
      source,
      dependencies
    }
    const bundle = join(staging, "bundle")
    mkdirSync(bundle)
    renameSync(root, join(bundle, "package"))
    writeFileSync(join(bundle, "receipt.json"), `${JSON.stringify(receipt, null, 2)}\n`, { flag: "wx" })
    const final = join(installDir, installFolderName(verified.success.manifest))
    const packageDir = join(final, "package")
    const commit = (): Result.Result<InstalledPlugin, PluginError> => {
      try {
        if (existsSync(final)) {
          if (!options.replace) {
            discard()
            return Result.fail(
              pluginError(
                "already-installed",
                ref,
                `${ref} is already installed in ${final} (use replace to reinstall)`
              )
            )
          }
          const old = join(staging, "old")
          renameSync(final, old)
          renameSync(bundle, final)
        } else {
          renameSync(bundle, final)
        }
        discard()
        return Result.succeed({
          ref,
          dir: final,
          packageDir,
          manifest: verified.success.manifest,
          receipt
        })
      } catch (error) {
        discard()
        return Result.fail(toPluginError(error, ref))
      }
    }
    return Result.succeed({
      verified: { ...verified.success, root: packageDir },
      commit,
      discard
    })
  } catch (error) {
    discard()
    return Result.fail(toPluginError(error, source))
  }
}

/**
 * Installs a plugin: stage and verify (`prepareInstall`), record the decision (a
 * `plugin.install` policy decision and audit event, allowed or denied with the exact reason),
 * and only then make it visible with one rename. A refused or failed install leaves nothing.
 */
export const installPlugin = (
  options: InstallOptions,
  governance: { readonly recorder: PluginGovernanceRecorder; readonly context: GovernanceContext }
): Effect.Effect<InstalledPlugin, PluginError> =>
  Effect.gen(function* () {
    const prepared = yield* Effect.promise(() => prepareInstall(options))
    if (Result.isFailure(prepared)) {
      yield* recordDecision(governance, "plugin.install", prepared.failure.plugin, prepared.failure)
      return yield* Effect.fail(prepared.failure)
    }
    const { verified, commit, discard } = prepared.success
    const ref = pluginRef(verified.manifest)
    const recorded = yield* Effect.exit(
      recordDecision(governance, "plugin.install", ref, undefined, {
        ruleId: verified.ruleId,
        detail: `${ref} signed by ${verified.keyId}, trust mode ${verified.mode}, checksum ${verified.manifest.checksum}`,
        attributes: { keyId: verified.keyId, checksum: verified.manifest.checksum }
      })
    )
    if (recorded._tag === "Failure") {
      discard()
      return yield* Effect.failCause(recorded.cause)
    }
    const installed = commit()
    if (Result.isFailure(installed)) {
      yield* recordDecision(governance, "plugin.install", ref, installed.failure)
      return yield* Effect.fail(installed.failure)
    }
    return installed.success
  })
