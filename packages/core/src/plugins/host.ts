import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Context, Effect, Layer, Result } from "effect"
import type { PluginManifestV2 } from "../contracts/PluginManifest.js"
import { parseJson } from "../json/safeJson.js"
import { pluginNamespace } from "../tools/ToolRegistry.js"
import type { JsonValue } from "./api.js"
import { CapabilityHost, type CapabilityProviders, type ToolRegistration } from "./capabilities.js"
import { digestTree } from "./checksum.js"
import { type GovernanceContext, type PluginGovernanceRecorder, platformContext } from "./governance.js"
import {
  describeSource,
  type InstalledPlugin,
  type InstallReceipt,
  installFolderName,
  installPlugin,
  type PluginSource,
  packageRootOf
} from "./install.js"
import { recordDecision } from "./internal/record.js"
import { defaultPackageLimits, type PackageLimits } from "./internal/scan.js"
import { extractTarball } from "./internal/tarball.js"
import { pluginRef } from "./manifest.js"
import { PluginError, pluginError } from "./PluginError.js"
import { startInProcess } from "./runtime/inProcess.js"
import { startIsolated } from "./runtime/isolated.js"
import { detectSandboxLauncher } from "./runtime/launcher.js"
import type { PluginRuntime, RuntimeOptions, ToolCallOptions } from "./runtime/types.js"
import type { IsolationLevel, TrustPolicy } from "./trust.js"
import { type VerifiedPackage, verifyPackage } from "./verify.js"

/** A tool contributed by a loaded plugin. */
export interface PluginTool extends ToolRegistration {
  /** `<plugin>.<tool>`, the name the tool runtime knows it by. */
  readonly qualifiedName: string
  readonly plugin: string
}

/** A loaded, running plugin. */
export interface LoadedPlugin {
  readonly ref: string
  readonly manifest: PluginManifestV2
  readonly isolation: IsolationLevel
  readonly tools: () => ReadonlyArray<PluginTool>
  readonly invokeTool: (
    name: string,
    args: JsonValue,
    options?: ToolCallOptions
  ) => Effect.Effect<JsonValue, PluginError>
  /** The capability gate of this plugin (denial count, for operators). */
  readonly capabilities: CapabilityHost
  readonly close: Effect.Effect<void>
}

/** Everything a plugin host needs; hosts build it from configuration and their services. */
export interface PluginHostOptions {
  readonly policy: TrustPolicy
  /** Folder of installed plugins (config `plugins.installDir`). */
  readonly installDir: string
  readonly recorder: PluginGovernanceRecorder
  readonly context?: GovernanceContext
  readonly providers?: CapabilityProviders
  readonly runtime?: RuntimeOptions
  readonly limits?: PackageLimits
  readonly npmCommand?: string
}

/** Options of one load. */
export interface LoadOptions {
  /**
   * `isolated` (the default) or `in-process`, which is honoured only for plugins the signed
   * curated catalog marks `in-process`; asking for it otherwise is refused.
   */
  readonly isolation?: IsolationLevel
}

/** The plugin host: verify, install and load plugins under the configured trust policy. */
export interface PluginHostShape {
  /** Verifies a folder or tarball without installing or running it. */
  readonly verify: (source: PluginSource) => Effect.Effect<VerifiedPackage, PluginError>
  readonly install: (
    source: PluginSource,
    options?: { readonly replace?: boolean }
  ) => Effect.Effect<InstalledPlugin, PluginError>
  /** Loads an installed plugin by `name@version`, verifying it again against the current policy. */
  readonly load: (ref: string, options?: LoadOptions) => Effect.Effect<LoadedPlugin, PluginError>
}

/** Service key of the plugin host. */
export class PluginHost extends Context.Service<PluginHost, PluginHostShape>()("@bga/core/PluginHost") {}

const readReceipt = (dir: string, ref: string): Result.Result<InstallReceipt, PluginError> => {
  let text: string
  try {
    text = readFileSync(join(dir, "receipt.json"), "utf8")
  } catch {
    return Result.fail(pluginError("not-installed", ref, `${ref} has no install receipt in ${dir}`))
  }
  const parsed = parseJson(text, "install receipt")
  if (Result.isFailure(parsed)) return Result.fail(pluginError("load-failed", ref, parsed.failure.message))
  return Result.succeed(parsed.success as InstallReceipt)
}

const parseRef = (ref: string): { name: string; version: string } | undefined => {
  const at = ref.lastIndexOf("@")
  if (at <= 0) return undefined
  return { name: ref.slice(0, at), version: ref.slice(at + 1) }
}

/** Makes a plugin host. */
export const make = (options: PluginHostOptions): PluginHostShape => {
  const context = options.context ?? platformContext
  const governance = { recorder: options.recorder, context }
  const limits = options.limits ?? defaultPackageLimits
  const installDir = resolve(options.installDir)

  const verify = (source: PluginSource): Effect.Effect<VerifiedPackage, PluginError> =>
    Effect.tryPromise({
      try: async () => {
        if (source.kind === "directory")
          return verifyPackage(resolve(source.path), options.policy, { limits })
        if (source.kind === "npm") {
          return Result.fail(
            pluginError("install-failed", describeSource(source), "verify npm packages by installing them")
          )
        }
        const temp = mkdtempSync(join(tmpdir(), "bga-plugin-verify-"))
        try {
          await extractTarball(resolve(source.path), temp, limits, describeSource(source))
          const root = packageRootOf(temp, describeSource(source))
          return verifyPackage(root, options.policy, { source: describeSource(source), limits })
        } finally {
          rmSync(temp, { recursive: true, force: true })
        }
      },
      catch: (error) =>
        error instanceof PluginError
          ? error
          : pluginError("install-failed", describeSource(source), String(error))
    }).pipe(Effect.flatMap(Effect.fromResult))

  const install = (source: PluginSource, installOptions: { readonly replace?: boolean } = {}) =>
    installPlugin(
      {
        source,
        installDir,
        policy: options.policy,
        limits,
        ...(installOptions.replace !== undefined ? { replace: installOptions.replace } : {}),
        ...(options.npmCommand ? { npmCommand: options.npmCommand } : {})
      },
      governance
    )

  /** Every check of a load, before any plugin code runs. */
  const admit = (
    ref: string,
    loadOptions: LoadOptions
  ): Result.Result<{ verified: VerifiedPackage; isolation: IsolationLevel }, PluginError> => {
    const parsedRef = parseRef(ref)
    if (parsedRef === undefined)
      return Result.fail(pluginError("not-installed", ref, "expected name@version"))
    const dir = join(installDir, installFolderName(parsedRef))
    if (!existsSync(dir))
      return Result.fail(pluginError("not-installed", ref, `${ref} is not installed in ${installDir}`))
    const receipt = readReceipt(dir, ref)
    if (Result.isFailure(receipt)) return Result.fail(receipt.failure)
    const packageDir = join(dir, "package")
    // Trust is decided again with today's keyring and catalog: a key revoked since install blocks the load.
    const verified = verifyPackage(packageDir, options.policy, { limits })
    if (Result.isFailure(verified)) return Result.fail(verified.failure)
    if (pluginRef(verified.success.manifest) !== ref) {
      return Result.fail(
        pluginError(
          "package-mismatch",
          ref,
          `the installed package is ${pluginRef(verified.success.manifest)}`
        )
      )
    }
    if (receipt.success.checksum !== verified.success.manifest.checksum) {
      return Result.fail(pluginError("checksum-mismatch", ref, "the package differs from the one installed"))
    }
    const nodeModules = join(packageDir, "node_modules")
    if (receipt.success.dependencies !== null || existsSync(nodeModules)) {
      const digest = existsSync(nodeModules) ? digestTree(nodeModules, ref, new Set(), limits) : undefined
      if (digest !== undefined && Result.isFailure(digest)) return Result.fail(digest.failure)
      const actual = digest?.success.checksum ?? null
      if (actual !== receipt.success.dependencies) {
        return Result.fail(
          pluginError(
            "checksum-mismatch",
            ref,
            "node_modules changed since install (dependencies no longer match the receipt)"
          )
        )
      }
    }
    const requested = loadOptions.isolation ?? "isolated"
    if (requested === "in-process" && verified.success.allowedIsolation !== "in-process") {
      return Result.fail(
        pluginError(
          "isolation-denied",
          ref,
          "in-process loading is only for plugins the signed curated catalog marks isolation: in-process"
        )
      )
    }
    return Result.succeed({ verified: verified.success, isolation: requested })
  }

  const load = (ref: string, loadOptions: LoadOptions = {}): Effect.Effect<LoadedPlugin, PluginError> =>
    Effect.gen(function* () {
      const admitted = admit(ref, loadOptions)
      if (Result.isFailure(admitted)) {
        yield* recordDecision(governance, "plugin.load", ref, admitted.failure)
        return yield* Effect.fail(admitted.failure)
      }
      const { verified, isolation } = admitted.success
      const manifest = verified.manifest
      let launcher: Awaited<ReturnType<typeof detectSandboxLauncher>> | undefined
      if (isolation === "isolated") {
        launcher = yield* Effect.promise(() => detectSandboxLauncher())
        if ("unavailable" in launcher) {
          const error = pluginError("isolation-unavailable", ref, launcher.unavailable)
          yield* recordDecision(governance, "plugin.load", ref, error)
          return yield* Effect.fail(error)
        }
      }
      yield* recordDecision(governance, "plugin.load", ref, undefined, {
        ruleId: verified.ruleId,
        detail: `${ref} loaded ${isolation}, signed by ${verified.keyId}, permissions: ${manifest.permissions.join(", ") || "none"}`,
        attributes: { isolation, keyId: verified.keyId, checksum: manifest.checksum }
      })
      const makeHost = (hooks: ConstructorParameters<typeof CapabilityHost>[3]) =>
        new CapabilityHost(manifest, options.providers ?? {}, governance, hooks)
      const runtime: PluginRuntime = yield* Effect.tryPromise({
        try: () =>
          launcher !== undefined && !("unavailable" in launcher)
            ? startIsolated(verified.root, manifest, makeHost, launcher, options.runtime)
            : startInProcess(verified.root, manifest, makeHost, options.runtime),
        catch: (error) =>
          error instanceof PluginError
            ? error
            : pluginError("load-failed", ref, String(error), { cause: error })
      }).pipe(
        Effect.tapError((error) => recordDecision(governance, "plugin.load", ref, error).pipe(Effect.ignore))
      )
      const namespace = pluginNamespace(manifest.name)
      return {
        ref,
        manifest,
        isolation,
        capabilities: runtime.capabilities,
        tools: () =>
          runtime
            .tools()
            .map((tool) => ({ ...tool, plugin: ref, qualifiedName: `${namespace}.${tool.name}` })),
        invokeTool: (name, args, callOptions) =>
          Effect.tryPromise({
            try: () => runtime.invokeTool(name, args, callOptions),
            catch: (error) =>
              error instanceof PluginError
                ? error
                : pluginError("tool-failed", ref, String(error), { cause: error })
          }),
        close: Effect.promise(() => runtime.close())
      }
    })

  return { verify, install, load }
}

/** Provides a plugin host built from `options`. */
export const layer = (options: PluginHostOptions): Layer.Layer<PluginHost> =>
  Layer.sync(PluginHost, () => make(options))
