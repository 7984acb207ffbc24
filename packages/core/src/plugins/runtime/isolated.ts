import { posix } from "node:path"
import { Result, Schema } from "effect"
import { decodeUnknown } from "../../contracts/decode.js"
import type { PluginManifestV2 } from "../../contracts/PluginManifest.js"
import { BoundedString, JsonValue as JsonValueSchema } from "../../contracts/primitives.js"
import { defaultJsonLimits } from "../../json/limits.js"
import { parseJson } from "../../json/safeJson.js"
import type { JsonValue } from "../api.js"
import type { CapabilityHooks, CapabilityHost, ToolRegistration } from "../capabilities.js"
import { lineSplitter, type RpcMessage, RpcPeer } from "../internal/child/protocol.js"
import { pluginRef } from "../manifest.js"
import { type PluginError, pluginError } from "../PluginError.js"
import { type SandboxLauncher, spawnSandboxed } from "./launcher.js"
import {
  defaultRuntimeOptions,
  type PluginRuntime,
  type RuntimeOptions,
  type ToolCallOptions
} from "./types.js"

const RequestId = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }))

/** What an isolated plugin may send: calls, results of the host's calls, and log lines. */
const FromPlugin = Schema.Union([
  Schema.Struct({
    t: Schema.Literal("call"),
    id: RequestId,
    method: BoundedString(64, 1),
    params: JsonValueSchema
  }),
  Schema.Struct({
    t: Schema.Literal("result"),
    id: RequestId,
    ok: Schema.Literal(true),
    value: JsonValueSchema
  }),
  Schema.Struct({
    t: Schema.Literal("result"),
    id: RequestId,
    ok: Schema.Literal(false),
    error: Schema.Struct({ code: BoundedString(32, 1), message: BoundedString(8192) })
  }),
  Schema.Struct({ t: Schema.Literal("log"), message: BoundedString(4096) })
])
const decodeFromPlugin = decodeUnknown(FromPlugin, "plugin message")

/** At most this many capability calls of one plugin run at once; more are refused as busy. */
const MAX_IN_FLIGHT = 64

/**
 * Runs a plugin in its own process: Node's permission model (reads limited to the plugin
 * folder and the child runtime; no child processes, workers, addons, WASI or inspector), a
 * private network namespace (no network at all, loopback included) and a private mount
 * namespace whose root holds only system libraries, Node, the plugin and the child runtime
 * (no host files, no host Unix sockets), with an empty environment and a heap limit.
 * Everything it may do goes over RPC on stdin/stdout to the `CapabilityHost`, and every
 * message it sends is parsed under limits and decoded against the protocol schema.
 */
export const startIsolated = async (
  packageDir: string,
  manifest: PluginManifestV2,
  makeHost: (hooks: CapabilityHooks) => CapabilityHost,
  launcher: SandboxLauncher,
  options: RuntimeOptions = {}
): Promise<PluginRuntime> => {
  const ref = pluginRef(manifest)
  const maxMessageBytes = options.maxMessageBytes ?? defaultRuntimeOptions.maxMessageBytes
  const registered: Array<ToolRegistration> = []
  let peer: RpcPeer | undefined
  const host = makeHost({
    onToolRegistered: (tool) => registered.push(tool),
    deliverEvent: (subscriptionId, payload) => {
      try {
        child.stdin.write(`${JSON.stringify({ t: "event", subscriptionId, payload } satisfies RpcMessage)}\n`)
      } catch {}
    }
  })
  const { child, cleanup } = spawnSandboxed(launcher, packageDir, [
    "--permission",
    "--allow-fs-read=/plugin",
    "--allow-fs-read=/bga/child",
    `--max-old-space-size=${options.memoryMb ?? defaultRuntimeOptions.memoryMb}`,
    "--disable-proto=delete",
    "/bga/child/main.js"
  ])
  let stderrTail = ""
  let exited: PluginError | undefined
  let inFlight = 0
  const kill = (reason: string) => {
    exited ??= pluginError("plugin-crashed", ref, reason)
    peer?.close(exited)
    child.kill("SIGKILL")
  }
  const exitPromise = new Promise<void>((resolve) => {
    child.on("exit", (code, signal) => {
      const tail = stderrTail.trim().split("\n").slice(-3).join(" | ")
      exited ??= pluginError(
        "plugin-crashed",
        ref,
        `the plugin process exited (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ""}`
      )
      peer?.close(exited)
      host.close()
      cleanup()
      resolve()
    })
  })
  child.on("error", (error) => kill(`the plugin process could not start: ${error.message}`))
  child.stdin.on("error", () => undefined)
  child.stderr.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8")
    stderrTail = (stderrTail + text).slice(-16_384)
    for (const line of text.split("\n")) if (line.trim()) options.onLog?.(`[${ref}] ${line}`)
  })

  peer = new RpcPeer(
    (message) => {
      child.stdin.write(`${JSON.stringify(message)}\n`)
    },
    async (method, params) => {
      if (inFlight >= MAX_IN_FLIGHT)
        throw { code: "failed", message: `more than ${MAX_IN_FLIGHT} calls at once` }
      inFlight++
      try {
        return await host.call(method, params)
      } finally {
        inFlight--
      }
    },
    (message) => {
      if (message.t === "log") options.onLog?.(`[${ref}] ${message.message}`)
    },
    (code, message) =>
      code === "timeout" ? pluginError("timeout", ref, message) : pluginError("tool-failed", ref, message)
  )
  const messageLimits = { ...defaultJsonLimits, maxBytes: maxMessageBytes }
  child.stdout.on(
    "data",
    lineSplitter(
      maxMessageBytes,
      (line) => {
        const parsed = parseJson(line, "plugin message", messageLimits)
        const decoded = Result.isSuccess(parsed) ? decodeFromPlugin(parsed.success) : parsed
        if (Result.isFailure(decoded)) return kill(`protocol violation: ${decoded.failure.message}`)
        peer?.receive(decoded.success as RpcMessage)
      },
      () => kill(`protocol violation: a message larger than ${maxMessageBytes} bytes`)
    )
  )

  try {
    await peer.call(
      "plugin.activate",
      {
        entry: posix.join("/plugin", manifest.entry),
        plugin: { name: manifest.name, version: manifest.version, permissions: [...manifest.permissions] }
      },
      options.activateTimeoutMs ?? defaultRuntimeOptions.activateTimeoutMs
    )
  } catch (error) {
    kill("activation failed")
    await exitPromise
    throw pluginError("load-failed", ref, `activation failed: ${(error as Error).message}`, { cause: error })
  }

  return {
    isolation: "isolated",
    capabilities: host,
    tools: () => registered,
    invokeTool: async (name: string, args: JsonValue, callOptions: ToolCallOptions = {}) => {
      if (exited) throw exited
      if (!registered.some((t) => t.name === name))
        throw pluginError("tool-failed", ref, `no tool ${name} is registered`)
      const timeoutMs = callOptions.timeoutMs ?? options.callTimeoutMs ?? defaultRuntimeOptions.callTimeoutMs
      return (await peer.call("tool.invoke", { name, args }, timeoutMs)) as JsonValue
    },
    close: async () => {
      if (!exited) {
        await peer.call("plugin.deactivate", {}, 2_000).catch(() => undefined)
        child.stdin.end()
        const timer = setTimeout(() => child.kill("SIGKILL"), 2_000)
        await exitPromise
        clearTimeout(timer)
      } else {
        await exitPromise
      }
    }
  }
}
