import { Effect, Result, Schema } from "effect"
import { decodeUnknown } from "../contracts/decode.js"
import { type PluginManifestV2, PluginToolName } from "../contracts/PluginManifest.js"
import { BoundedString, JsonObject, JsonValue as JsonValueSchema } from "../contracts/primitives.js"
import type {
  ChannelMessage,
  EgressRequestInit,
  EgressResponse,
  JsonValue,
  SandboxExecRequest,
  SandboxExecResult
} from "./api.js"
import { PluginCapabilityError } from "./api.js"
import type { GovernanceContext, PluginGovernanceRecorder } from "./governance.js"
import { recordDecision } from "./internal/record.js"
import { pluginRef } from "./manifest.js"
import { pluginError } from "./PluginError.js"
import { grantsOf, hostMatches } from "./permissions.js"

/** Which plugin, in which customer instance, a provider is serving. */
export interface PluginScope {
  readonly plugin: string
  readonly version: string
  readonly customerInstanceId: string
}

/**
 * The host services behind plugin capabilities. A host wires its real ones (the egress guard,
 * the KeyValue store, its secrets provider, the channel adapter, the event bus, the sandbox
 * driver); each is optional, and a granted capability whose provider is missing fails as
 * `unavailable`. Providers are reached only after the permission check.
 */
export interface CapabilityProviders {
  readonly egress?: {
    readonly fetch: (
      scope: PluginScope,
      request: EgressRequestInit & { readonly url: string }
    ) => Promise<EgressResponse>
  }
  readonly kv?: {
    readonly get: (scope: PluginScope, key: string) => Promise<JsonValue | undefined>
    readonly list: (scope: PluginScope, prefix: string) => Promise<ReadonlyArray<string>>
    readonly set: (scope: PluginScope, key: string, value: JsonValue) => Promise<void>
    readonly delete: (scope: PluginScope, key: string) => Promise<boolean>
  }
  readonly secrets?: { readonly read: (scope: PluginScope, name: string) => Promise<string | undefined> }
  readonly channel?: { readonly send: (scope: PluginScope, message: ChannelMessage) => Promise<void> }
  readonly events?: {
    readonly subscribe: (
      scope: PluginScope,
      topic: string,
      listener: (payload: JsonValue) => void
    ) => () => void
  }
  readonly sandbox?: {
    readonly exec: (scope: PluginScope, request: SandboxExecRequest) => Promise<SandboxExecResult>
  }
}

/** A tool as a plugin registered it (its handler stays with the runtime). */
export interface ToolRegistration {
  readonly name: string
  readonly description: string
  readonly parameters: { readonly [key: string]: JsonValue }
}

/** What the runtime does with registrations and events (in-process and isolated differ). */
export interface CapabilityHooks {
  readonly onToolRegistered: (tool: ToolRegistration) => void
  readonly deliverEvent: (subscriptionId: number, payload: JsonValue) => void
}

const Key = BoundedString(512, 1)
const params = {
  "tools.register": Schema.Struct({
    name: PluginToolName,
    description: Schema.optionalKey(BoundedString(1024)),
    parameters: Schema.optionalKey(JsonObject)
  }),
  "egress.fetch": Schema.Struct({
    url: BoundedString(8192, 1),
    method: Schema.optionalKey(Schema.Literals(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])),
    headers: Schema.optionalKey(
      Schema.Record(BoundedString(256, 1), BoundedString(8192)).check(Schema.isMaxProperties(64))
    ),
    body: Schema.optionalKey(BoundedString(1024 * 1024))
  }),
  "kv.get": Schema.Struct({ key: Key }),
  "kv.list": Schema.Struct({ prefix: Schema.optionalKey(BoundedString(512)) }),
  "kv.set": Schema.Struct({ key: Key, value: JsonValueSchema }),
  "kv.delete": Schema.Struct({ key: Key }),
  "secrets.read": Schema.Struct({ name: BoundedString(128, 1) }),
  "channel.send": Schema.Struct({
    text: BoundedString(32 * 1024, 1),
    threadId: Schema.optionalKey(BoundedString(256, 1))
  }),
  "events.subscribe": Schema.Struct({
    topic: Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9._-]{0,127}$/u, { expected: "an event topic" }))
  }),
  "events.unsubscribe": Schema.Struct({ subscriptionId: Schema.Int }),
  "sandbox.exec": Schema.Struct({
    command: Schema.Array(BoundedString(4096, 1)).check(Schema.isMinLength(1), Schema.isMaxLength(64)),
    stdin: Schema.optionalKey(BoundedString(1024 * 1024)),
    timeoutMs: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 600_000 })))
  })
} as const

/** Every capability method a plugin can call, and the permission family it needs. */
export const capabilityMethods = {
  "tools.register": "tools.register",
  "egress.fetch": "egress.fetch:<host>",
  "kv.get": "kv.read",
  "kv.list": "kv.read",
  "kv.set": "kv.write",
  "kv.delete": "kv.write",
  "secrets.read": "secrets.read:<NAME>",
  "channel.send": "channel.send",
  "events.subscribe": "events.subscribe",
  "events.unsubscribe": "events.subscribe",
  "sandbox.exec": "sandbox.exec"
} as const
/** A capability method name. */
export type CapabilityMethod = keyof typeof capabilityMethods

type Handler = (input: never) => Promise<unknown>

/**
 * The host side of a plugin's capabilities: one instance per loaded plugin. Its dispatch table
 * is built from the granted permissions only, holding just the providers those permissions
 * need; a call to anything else, or to a host or secret the manifest does not name, is denied
 * with `code: "denied"` and recorded as a `plugin.capability` decision.
 */
export class CapabilityHost {
  readonly #table = new Map<string, Handler>()
  readonly #subscriptions = new Map<number, () => void>()
  readonly #registered = new Set<string>()
  #nextSubscription = 1
  readonly #ref: string
  /** Denials recorded so far (also sent to the recorder); handy for operators and tests. */
  denials = 0

  constructor(
    readonly manifest: PluginManifestV2,
    providers: CapabilityProviders,
    readonly governance: { readonly recorder: PluginGovernanceRecorder; readonly context: GovernanceContext },
    readonly hooks: CapabilityHooks
  ) {
    this.#ref = pluginRef(manifest)
    const grants = grantsOf(manifest.permissions)
    const scope: PluginScope = {
      plugin: manifest.name,
      version: manifest.version,
      customerInstanceId: governance.context.customerInstanceId
    }
    const need = <P>(provider: P | undefined, what: string): P => {
      if (provider === undefined)
        throw new PluginCapabilityError("unavailable", `this host does not provide ${what}`)
      return provider
    }
    const declared = new Map((manifest.tools ?? []).map((t) => [t.name, t]))
    if (grants.toolsRegister) {
      this.#set("tools.register", async (p: (typeof params)["tools.register"]["Type"]) => {
        const declaration = declared.get(p.name)
        if (declaration === undefined) {
          return this.#deny("tools.register", `tool ${p.name} is not declared in the signed manifest's tools`)
        }
        if (this.#registered.has(p.name))
          throw new PluginCapabilityError("invalid", `tool ${p.name} is already registered`)
        this.#registered.add(p.name)
        hooks.onToolRegistered({
          name: p.name,
          description: p.description ?? declaration.description,
          parameters: (p.parameters ?? { type: "object" }) as { readonly [key: string]: JsonValue }
        })
        return null
      })
    }
    if (grants.egressHosts.length > 0) {
      const egress = providers.egress
      this.#set("egress.fetch", async (p: (typeof params)["egress.fetch"]["Type"]) => {
        let url: URL
        try {
          url = new URL(p.url)
        } catch {
          throw new PluginCapabilityError("invalid", `not a URL: ${p.url.slice(0, 200)}`)
        }
        if (url.protocol !== "https:" && url.protocol !== "http:") {
          return this.#deny("egress.fetch", `egress to ${url.protocol} URLs is not allowed`)
        }
        const host = url.hostname.replace(/^\[|\]$/gu, "")
        if (!hostMatches(grants.egressHosts, host)) {
          return this.#deny(
            "egress.fetch",
            `egress to ${host} is not granted (manifest grants ${grants.egressHosts.join(", ")})`
          )
        }
        return need(egress, "egress").fetch(scope, { ...p, url: url.href })
      })
    }
    const kv = providers.kv
    if (grants.kvRead) {
      this.#set("kv.get", async (p: { key: string }) => (await need(kv, "kv").get(scope, p.key)) ?? null)
      this.#set("kv.list", async (p: { prefix?: string }) => need(kv, "kv").list(scope, p.prefix ?? ""))
    }
    if (grants.kvWrite) {
      this.#set("kv.set", async (p: { key: string; value: JsonValue }) => {
        await need(kv, "kv").set(scope, p.key, p.value)
        return null
      })
      this.#set("kv.delete", async (p: { key: string }) => need(kv, "kv").delete(scope, p.key))
    }
    if (grants.secrets.size > 0) {
      const secrets = providers.secrets
      this.#set("secrets.read", async (p: { name: string }) => {
        if (!grants.secrets.has(p.name)) {
          return this.#deny(
            "secrets.read",
            `secret ${p.name} is not granted (manifest grants ${[...grants.secrets].join(", ")})`
          )
        }
        const value = await need(secrets, "secrets").read(scope, p.name)
        if (value === undefined)
          throw new PluginCapabilityError("unavailable", `secret ${p.name} is not set on this host`)
        return value
      })
    }
    if (grants.channelSend) {
      const channel = providers.channel
      this.#set("channel.send", async (p: ChannelMessage) => {
        await need(channel, "channel").send(scope, p)
        return null
      })
    }
    if (grants.eventsSubscribe) {
      const events = providers.events
      this.#set("events.subscribe", async (p: { topic: string }) => {
        if (this.#subscriptions.size >= 64)
          throw new PluginCapabilityError("invalid", "at most 64 subscriptions per plugin")
        const id = this.#nextSubscription++
        const unsubscribe = need(events, "events").subscribe(scope, p.topic, (payload) =>
          hooks.deliverEvent(id, payload)
        )
        this.#subscriptions.set(id, unsubscribe)
        return { subscriptionId: id }
      })
      this.#set("events.unsubscribe", async (p: { subscriptionId: number }) => {
        this.#subscriptions.get(p.subscriptionId)?.()
        return this.#subscriptions.delete(p.subscriptionId)
      })
    }
    if (grants.sandboxExec) {
      const sandbox = providers.sandbox
      this.#set("sandbox.exec", async (p: SandboxExecRequest) => need(sandbox, "sandbox").exec(scope, p))
    }
  }

  #set(method: CapabilityMethod, handler: (input: never) => Promise<unknown>): void {
    this.#table.set(method, handler)
  }

  async #deny(method: string, detail: string): Promise<never> {
    this.denials++
    const error = pluginError("permission-denied", this.#ref, detail)
    // The denial stands even if recording it fails; the recorder's own failure is its to report.
    await Effect.runPromise(
      recordDecision(this.governance, "plugin.capability", this.#ref, error, undefined, {
        capability: method
      }).pipe(Effect.ignore)
    )
    throw new PluginCapabilityError("denied", detail)
  }

  /**
   * Calls a capability for the plugin. `params` is untrusted (it may come from an isolated
   * process) and is decoded against the method's schema first.
   */
  async call(method: string, input: unknown): Promise<unknown> {
    const handler = this.#table.get(method)
    if (handler === undefined) {
      const needed = (capabilityMethods as Record<string, string>)[method]
      return this.#deny(
        method,
        needed === undefined
          ? `unknown capability ${method.slice(0, 64)}`
          : `${method} needs the ${needed} permission, which the signed manifest does not grant`
      )
    }
    const schema = (params as Record<string, Schema.Decoder<unknown>>)[method]!
    const decoded = decodeUnknown(schema, method)(input ?? {})
    if (Result.isFailure(decoded)) throw new PluginCapabilityError("invalid", decoded.failure.message)
    try {
      return await handler(decoded.success as never)
    } catch (error) {
      if (error instanceof PluginCapabilityError) throw error
      throw new PluginCapabilityError(
        "failed",
        `${method} failed: ${(error as Error)?.message ?? String(error)}`
      )
    }
  }

  /** Ends every event subscription (on unload). */
  close(): void {
    for (const unsubscribe of this.#subscriptions.values()) unsubscribe()
    this.#subscriptions.clear()
  }
}
