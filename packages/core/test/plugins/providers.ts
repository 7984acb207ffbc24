import { execFile } from "node:child_process"
import { EventEmitter } from "node:events"
import type { CapabilityProviders, ChannelMessage, JsonValue } from "../../src/plugins/index.js"

/** Simple real capability providers for tests: in-memory kv, a secrets table, real fetch and exec. */
export const testProviders = () => {
  const kv = new Map<string, JsonValue>()
  const sent: Array<{ plugin: string; message: ChannelMessage }> = []
  const bus = new EventEmitter()
  const providers: CapabilityProviders = {
    egress: {
      fetch: async (_scope, request) => {
        const response = await fetch(request.url, {
          method: request.method ?? "GET",
          ...(request.headers ? { headers: request.headers } : {}),
          ...(request.body !== undefined ? { body: request.body } : {})
        })
        return {
          status: response.status,
          headers: Object.fromEntries(response.headers),
          body: await response.text()
        }
      }
    },
    kv: {
      get: async (scope, key) => kv.get(`${scope.customerInstanceId}/${scope.plugin}/${key}`),
      list: async (scope, prefix) => {
        const base = `${scope.customerInstanceId}/${scope.plugin}/`
        return [...kv.keys()].filter((k) => k.startsWith(base + prefix)).map((k) => k.slice(base.length))
      },
      set: async (scope, key, value) =>
        void kv.set(`${scope.customerInstanceId}/${scope.plugin}/${key}`, value),
      delete: async (scope, key) => kv.delete(`${scope.customerInstanceId}/${scope.plugin}/${key}`)
    },
    secrets: { read: async (_scope, name) => ({ API_TOKEN: "t0ken", DB_PASSWORD: "hunter2" })[name] },
    channel: { send: async (scope, message) => void sent.push({ plugin: scope.plugin, message }) },
    events: {
      subscribe: (_scope, topic, listener) => {
        bus.on(topic, listener)
        return () => bus.off(topic, listener)
      }
    },
    sandbox: {
      exec: (_scope, request) =>
        new Promise((resolve) => {
          const [command, ...args] = request.command
          const child = execFile(
            command!,
            args,
            { timeout: request.timeoutMs ?? 10_000 },
            (error, stdout, stderr) =>
              resolve({
                exitCode: error ? (typeof error.code === "number" ? error.code : 1) : 0,
                stdout,
                stderr
              })
          )
          if (request.stdin !== undefined) child.stdin?.end(request.stdin)
        })
    }
  }
  return { providers, kv, sent, bus }
}

/** Polls until `check` holds (bounded), for effects that arrive asynchronously. */
export const eventually = async (check: () => boolean, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
