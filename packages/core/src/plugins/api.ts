/**
 * What a plugin author programs against. A plugin package's entry module default-exports a
 * `PluginModule`; `activate` receives a `PluginContext` whose calls succeed only for what the
 * signed manifest grants (anything else is refused with `code: "denied"` and audited). The
 * same context works in-process and isolated, so a plugin never knows which it got.
 *
 * Plugins import these as types only (`import type`): an isolated plugin can read nothing
 * outside its own folder, so it cannot load @bga/core at run time.
 *
 * @example
 * ```ts
 * import type { PluginModule } from "@bga/core/plugins"
 * const plugin: PluginModule = {
 *   async activate(ctx) {
 *     await ctx.tools.register({
 *       name: "greet",
 *       description: "Greets someone",
 *       parameters: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
 *       handler: async (args) => `hello ${(args as { name: string }).name}`
 *     })
 *   }
 * }
 * export default plugin
 * ```
 *
 * @module
 */

/** A JSON value, the only thing that crosses between a plugin and its host. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | ReadonlyArray<JsonValue>
  | { readonly [key: string]: JsonValue }

/** Why a capability call failed: not granted, malformed, not provided by the host, or failed. */
export type CapabilityErrorCode = "denied" | "invalid" | "unavailable" | "failed" | "timeout"

/** The error a plugin sees when a capability call fails; `code` says which way. */
export class PluginCapabilityError extends Error {
  override readonly name = "PluginCapabilityError"
  constructor(
    readonly code: CapabilityErrorCode,
    message: string
  ) {
    super(message)
  }
}

/** Passed to a tool handler with each call. */
export interface ToolCallContext {
  /** Aborted when the call times out or the host cancels it. */
  readonly signal: AbortSignal
}

/** A tool a plugin registers; its name must be declared in the signed manifest's `tools`. */
export interface PluginToolDefinition {
  readonly name: string
  readonly description?: string
  /** JSON Schema of the arguments (what the model sees). */
  readonly parameters?: { readonly [key: string]: JsonValue }
  readonly handler: (
    args: JsonValue,
    call: ToolCallContext
  ) => JsonValue | undefined | Promise<JsonValue | undefined>
}

/** An HTTP request through the host's egress guard. */
export interface EgressRequestInit {
  readonly method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD"
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

/** An HTTP response, body as text. */
export interface EgressResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** A message sent on the channel of the current conversation. */
export interface ChannelMessage {
  readonly text: string
  readonly threadId?: string
}

/** A command run in a sandbox lane (never on the host). */
export interface SandboxExecRequest {
  readonly command: ReadonlyArray<string>
  readonly stdin?: string
  readonly timeoutMs?: number
}

/** What a sandboxed command produced. */
export interface SandboxExecResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

/** The capabilities of a plugin. Each call checks the signed manifest's permissions. */
export interface PluginContext {
  readonly plugin: {
    readonly name: string
    readonly version: string
    readonly permissions: ReadonlyArray<string>
    readonly isolation: "isolated" | "in-process"
  }
  /** `tools.register` */
  readonly tools: { readonly register: (tool: PluginToolDefinition) => Promise<void> }
  /** `egress.fetch:<host>`: only to hosts the manifest names, and only through the host's guard. */
  readonly egress: { readonly fetch: (url: string, init?: EgressRequestInit) => Promise<EgressResponse> }
  /** `kv.read` (get, list) and `kv.write` (set, delete), scoped to this plugin and customer instance. */
  readonly kv: {
    readonly get: (key: string) => Promise<JsonValue | undefined>
    readonly list: (prefix?: string) => Promise<ReadonlyArray<string>>
    readonly set: (key: string, value: JsonValue) => Promise<void>
    readonly delete: (key: string) => Promise<boolean>
  }
  /** `secrets.read:<NAME>`: one named secret each. */
  readonly secrets: { readonly read: (name: string) => Promise<string> }
  /** `channel.send` */
  readonly channel: { readonly send: (message: ChannelMessage) => Promise<void> }
  /** `events.subscribe`; resolves to an unsubscribe function. */
  readonly events: {
    readonly subscribe: (
      topic: string,
      listener: (payload: JsonValue) => void
    ) => Promise<() => Promise<void>>
  }
  /** `sandbox.exec` */
  readonly sandbox: { readonly exec: (request: SandboxExecRequest) => Promise<SandboxExecResult> }
  /** Diagnostic log line (goes to the host's plugin log, never to a user). */
  readonly log: (message: string) => void
}

/** The default export of a plugin's entry module. */
export interface PluginModule {
  readonly activate: (ctx: PluginContext) => void | Promise<void>
  readonly deactivate?: () => void | Promise<void>
}
