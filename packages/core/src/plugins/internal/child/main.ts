// Entry point of an isolated plugin process. It runs under Node's permission model (reads
// only the plugin folder and this folder; no child processes, workers, addons or inspector),
// inside its own network and mount namespaces (no network at all, no host sockets, no host
// files). It loads the plugin and reaches every capability over RPC on stdin/stdout.
// Imports: Node built-ins and the standalone protocol file only.
import { Console } from "node:console"
import { pathToFileURL } from "node:url"
import { lineSplitter, type RpcMessage, RpcPeer } from "./protocol.js"

class PluginCapabilityError extends Error {
  override readonly name = "PluginCapabilityError"
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message)
  }
}

type Json = unknown
type Handler = (args: Json, call: { readonly signal: AbortSignal }) => unknown

const wire = process.stdout
// The protocol owns stdout; whatever the plugin prints goes to stderr (the host's plugin log).
globalThis.console = new Console(process.stderr, process.stderr)
Object.defineProperty(process, "stdout", { get: () => process.stderr, configurable: false })

const tools = new Map<string, Handler>()
const listeners = new Map<number, (payload: Json) => void>()
const running = new Map<number, AbortController>()
let deactivate: (() => unknown) | undefined

const peer: RpcPeer = new RpcPeer(
  (message) => {
    wire.write(`${JSON.stringify(message)}\n`)
  },
  (method, params, id) => handle(method, params as Record<string, unknown>, id),
  (message) => {
    if (message.t === "event") {
      const listener = listeners.get(message.subscriptionId)
      if (listener) {
        queueMicrotask(() => {
          // A failing listener is the plugin's bug, not a reason to take the process down.
          try {
            listener(message.payload)
          } catch (error) {
            console.error(`event listener failed: ${(error as Error)?.stack ?? String(error)}`)
          }
        })
      }
    } else if (message.t === "cancel") {
      running.get(message.id)?.abort(new PluginCapabilityError("timeout", "the host gave up on this call"))
    }
  },
  (code, message) => new PluginCapabilityError(code, message)
)

const cap = (method: string, params: unknown) => peer.call(method, params)

const context = (plugin: Record<string, unknown>) =>
  Object.freeze({
    plugin: Object.freeze({ ...plugin, isolation: "isolated" }),
    tools: Object.freeze({
      register: async (tool: {
        name: string
        description?: string
        parameters?: unknown
        handler: Handler
      }) => {
        if (typeof tool?.handler !== "function")
          throw new PluginCapabilityError("invalid", "a tool needs a handler")
        await cap("tools.register", {
          name: tool.name,
          ...(tool.description !== undefined ? { description: tool.description } : {}),
          ...(tool.parameters !== undefined ? { parameters: tool.parameters } : {})
        })
        tools.set(tool.name, tool.handler)
      }
    }),
    egress: Object.freeze({
      fetch: (url: string, init: Record<string, unknown> = {}) => cap("egress.fetch", { ...init, url })
    }),
    kv: Object.freeze({
      get: async (key: string) => (await cap("kv.get", { key })) ?? undefined,
      list: (prefix?: string) => cap("kv.list", prefix === undefined ? {} : { prefix }),
      set: async (key: string, value: Json) => {
        await cap("kv.set", { key, value })
      },
      delete: (key: string) => cap("kv.delete", { key })
    }),
    secrets: Object.freeze({ read: (name: string) => cap("secrets.read", { name }) }),
    channel: Object.freeze({
      send: async (message: Record<string, unknown>) => {
        await cap("channel.send", message)
      }
    }),
    events: Object.freeze({
      subscribe: async (topic: string, listener: (payload: Json) => void) => {
        const { subscriptionId } = (await cap("events.subscribe", { topic })) as { subscriptionId: number }
        listeners.set(subscriptionId, listener)
        return async () => {
          listeners.delete(subscriptionId)
          await cap("events.unsubscribe", { subscriptionId })
        }
      }
    }),
    sandbox: Object.freeze({ exec: (request: Record<string, unknown>) => cap("sandbox.exec", request) }),
    log: (message: string) => {
      peer.send({ t: "log", message: String(message).slice(0, 4096) })
    }
  })

async function handle(method: string, params: Record<string, unknown>, id: number): Promise<unknown> {
  switch (method) {
    case "plugin.activate": {
      const loaded = (await import(pathToFileURL(String(params.entry)).href)) as Record<string, unknown>
      const plugin = (loaded.default ?? loaded) as { activate?: unknown; deactivate?: unknown }
      if (typeof plugin?.activate !== "function") {
        throw new PluginCapabilityError("invalid", "the entry module does not export activate(ctx)")
      }
      if (typeof plugin.deactivate === "function")
        deactivate = plugin.deactivate.bind(plugin) as () => unknown
      await (plugin.activate as (ctx: unknown) => unknown)(context(params.plugin as Record<string, unknown>))
      return null
    }
    case "tool.invoke": {
      const handler = tools.get(String(params.name))
      if (handler === undefined) throw new PluginCapabilityError("invalid", `no tool ${String(params.name)}`)
      const controller = new AbortController()
      running.set(id, controller)
      try {
        const value = await handler(params.args, { signal: controller.signal })
        return value === undefined ? null : value
      } finally {
        running.delete(id)
      }
    }
    case "plugin.deactivate":
      await deactivate?.()
      return null
    default:
      throw new PluginCapabilityError("invalid", `unknown method ${method}`)
  }
}

process.stdin.on(
  "data",
  lineSplitter(
    16 * 1024 * 1024,
    (line) => {
      if (line.trim() === "") return
      peer.receive(JSON.parse(line) as RpcMessage)
    },
    () => process.exit(70)
  )
)
process.stdin.on("end", () => process.exit(0))
