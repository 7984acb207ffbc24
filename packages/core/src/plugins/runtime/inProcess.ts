import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { Result } from "effect"
import type { PluginManifestV2 } from "../../contracts/PluginManifest.js"
import { checkJsonValue } from "../../json/safeJson.js"
import type { JsonValue, PluginContext, PluginModule, PluginToolDefinition } from "../api.js"
import type { CapabilityHooks, CapabilityHost, ToolRegistration } from "../capabilities.js"
import { pluginRef } from "../manifest.js"
import { pluginError } from "../PluginError.js"
import {
  defaultRuntimeOptions,
  type PluginRuntime,
  type RuntimeOptions,
  type ToolCallOptions
} from "./types.js"

const withTimeout = <A>(promise: Promise<A>, ms: number, onTimeout: () => Error): Promise<A> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      }
    )
  })

/**
 * Runs a plugin inside the host process: for curated first-party plugins only (the caller has
 * checked the catalog allows it). It gets the same capability object as an isolated plugin,
 * every call going through the same permission checks; what it does not get is a process
 * boundary, so a host must reserve this level for code it reviewed.
 */
export const startInProcess = async (
  packageDir: string,
  manifest: PluginManifestV2,
  makeHost: (hooks: CapabilityHooks) => CapabilityHost,
  options: RuntimeOptions = {}
): Promise<PluginRuntime> => {
  const ref = pluginRef(manifest)
  const registered: Array<ToolRegistration> = []
  const handlers = new Map<string, PluginToolDefinition["handler"]>()
  const listeners = new Map<number, (payload: JsonValue) => void>()
  const host = makeHost({
    onToolRegistered: (tool) => registered.push(tool),
    deliverEvent: (id, payload) => listeners.get(id)?.(payload)
  })
  const call = (method: string, params: unknown) => host.call(method, params)
  const ctx: PluginContext = Object.freeze({
    plugin: Object.freeze({
      name: manifest.name,
      version: manifest.version,
      permissions: Object.freeze([...manifest.permissions]),
      isolation: "in-process" as const
    }),
    tools: Object.freeze({
      register: async (tool: PluginToolDefinition) => {
        const { handler, ...declaration } = tool
        await call("tools.register", declaration)
        handlers.set(tool.name, handler)
      }
    }),
    egress: Object.freeze({
      fetch: (url: string, init = {}) => call("egress.fetch", { ...init, url }) as never
    }),
    kv: Object.freeze({
      get: async (key: string) => ((await call("kv.get", { key })) ?? undefined) as JsonValue | undefined,
      list: (prefix?: string) => call("kv.list", prefix === undefined ? {} : { prefix }) as never,
      set: async (key: string, value: JsonValue) => {
        await call("kv.set", { key, value })
      },
      delete: (key: string) => call("kv.delete", { key }) as Promise<boolean>
    }),
    secrets: Object.freeze({ read: (name: string) => call("secrets.read", { name }) as Promise<string> }),
    channel: Object.freeze({
      send: async (message) => {
        await call("channel.send", message)
      }
    }),
    events: Object.freeze({
      subscribe: async (topic: string, listener: (payload: JsonValue) => void) => {
        const { subscriptionId } = (await call("events.subscribe", { topic })) as { subscriptionId: number }
        listeners.set(subscriptionId, listener)
        return async () => {
          listeners.delete(subscriptionId)
          await call("events.unsubscribe", { subscriptionId })
        }
      }
    }),
    sandbox: Object.freeze({ exec: (request) => call("sandbox.exec", request) as never }),
    log: (message: string) => options.onLog?.(`[${ref}] ${message}`)
  } satisfies PluginContext)

  let plugin: PluginModule
  try {
    const loaded = (await import(pathToFileURL(join(packageDir, manifest.entry)).href)) as Record<
      string,
      unknown
    >
    plugin = (loaded.default ?? loaded) as PluginModule
    if (typeof plugin?.activate !== "function")
      throw new Error("the entry module does not export activate(ctx)")
    await withTimeout(
      Promise.resolve(plugin.activate(ctx)),
      options.activateTimeoutMs ?? defaultRuntimeOptions.activateTimeoutMs,
      () => new Error("activate did not finish in time")
    )
  } catch (error) {
    host.close()
    throw pluginError(
      "load-failed",
      ref,
      `activation failed: ${(error as Error)?.message ?? String(error)}`,
      {
        cause: error
      }
    )
  }

  return {
    isolation: "in-process",
    capabilities: host,
    tools: () => registered,
    invokeTool: async (name: string, args: JsonValue, callOptions: ToolCallOptions = {}) => {
      const handler = handlers.get(name)
      if (handler === undefined) throw pluginError("tool-failed", ref, `no tool ${name} is registered`)
      const controller = new AbortController()
      callOptions.signal?.addEventListener("abort", () => controller.abort(callOptions.signal?.reason), {
        once: true
      })
      const timeoutMs = callOptions.timeoutMs ?? options.callTimeoutMs ?? defaultRuntimeOptions.callTimeoutMs
      let value: unknown
      try {
        value = await withTimeout(
          Promise.resolve(handler(args, { signal: controller.signal })),
          timeoutMs,
          () => {
            controller.abort()
            return pluginError("timeout", ref, `tool ${name} did not answer within ${timeoutMs} ms`)
          }
        )
      } catch (error) {
        if ((error as { _tag?: string })._tag === "@bga/core/PluginError") throw error
        throw pluginError(
          "tool-failed",
          ref,
          `tool ${name} failed: ${(error as Error)?.message ?? String(error)}`
        )
      }
      const checked = checkJsonValue(value ?? null, `result of ${name}`)
      if (Result.isFailure(checked)) throw pluginError("tool-failed", ref, checked.failure.message)
      return checked.success as JsonValue
    },
    close: async () => {
      host.close()
      await Promise.resolve(plugin.deactivate?.()).catch(() => undefined)
    }
  }
}
