/**
 * The Promise API of plugin governance, for hosts that do not use Effect. Failures reject with
 * the same `PluginError` (check `error.reason`).
 *
 * @example
 * ```ts
 * import { makePluginHost } from "@bga/core/plugins/promise"
 * const host = makePluginHost({ policy, installDir: ".data/plugins", recorder })
 * await host.install({ kind: "tarball", path: "crm-tools-1.0.0.tgz" })
 * const plugin = await host.load("@acme/crm-tools@1.0.0")
 * const answer = await plugin.invokeTool("lookup", { id: "42" })
 * ```
 *
 * @module
 */
import { Effect } from "effect"
import type { PluginManifestV2 } from "../contracts/PluginManifest.js"
import type { JsonValue } from "./api.js"
import type { CapabilityHost } from "./capabilities.js"
import { type LoadOptions, make, type PluginHostOptions, type PluginTool } from "./host.js"
import type { InstalledPlugin, PluginSource } from "./install.js"
import type { ToolCallOptions } from "./runtime/types.js"
import type { IsolationLevel } from "./trust.js"
import type { VerifiedPackage } from "./verify.js"

/** A loaded plugin, Promise-shaped. */
export interface LoadedPluginPromise {
  readonly ref: string
  readonly manifest: PluginManifestV2
  readonly isolation: IsolationLevel
  readonly capabilities: CapabilityHost
  readonly tools: () => ReadonlyArray<PluginTool>
  readonly invokeTool: (name: string, args: JsonValue, options?: ToolCallOptions) => Promise<JsonValue>
  readonly close: () => Promise<void>
}

/** The plugin host, Promise-shaped. */
export interface PluginHostPromise {
  readonly verify: (source: PluginSource) => Promise<VerifiedPackage>
  readonly install: (
    source: PluginSource,
    options?: { readonly replace?: boolean }
  ) => Promise<InstalledPlugin>
  readonly load: (ref: string, options?: LoadOptions) => Promise<LoadedPluginPromise>
}

/** Makes a plugin host with a Promise API (same options and rules as the Effect `make`). */
export const makePluginHost = (options: PluginHostOptions): PluginHostPromise => {
  const host = make(options)
  return {
    verify: (source) => Effect.runPromise(host.verify(source)),
    install: (source, installOptions) => Effect.runPromise(host.install(source, installOptions)),
    load: async (ref, loadOptions) => {
      const loaded = await Effect.runPromise(host.load(ref, loadOptions))
      return {
        ref: loaded.ref,
        manifest: loaded.manifest,
        isolation: loaded.isolation,
        capabilities: loaded.capabilities,
        tools: loaded.tools,
        invokeTool: (name, args, callOptions) =>
          Effect.runPromise(loaded.invokeTool(name, args, callOptions)),
        close: () => Effect.runPromise(loaded.close)
      }
    }
  }
}
