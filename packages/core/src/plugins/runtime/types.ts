import type { JsonValue } from "../api.js"
import type { CapabilityHost, ToolRegistration } from "../capabilities.js"
import type { IsolationLevel } from "../trust.js"

/** Per-call options of a plugin tool. */
export interface ToolCallOptions {
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
}

/** A running plugin, whichever way it is isolated. Promise-based: this is the hot path. */
export interface PluginRuntime {
  readonly isolation: IsolationLevel
  readonly capabilities: CapabilityHost
  readonly tools: () => ReadonlyArray<ToolRegistration>
  readonly invokeTool: (name: string, args: JsonValue, options?: ToolCallOptions) => Promise<JsonValue>
  readonly close: () => Promise<void>
}

/** Limits and timeouts of plugin processes and calls. */
export interface RuntimeOptions {
  /** V8 heap limit of an isolated plugin, in MiB. */
  readonly memoryMb?: number
  readonly activateTimeoutMs?: number
  readonly callTimeoutMs?: number
  /** Largest single message an isolated plugin may send. */
  readonly maxMessageBytes?: number
  /** Receives the plugin's log lines and stderr (never shown to users). */
  readonly onLog?: (line: string) => void
}

/** Defaults of `RuntimeOptions`. */
export const defaultRuntimeOptions = {
  memoryMb: 128,
  activateTimeoutMs: 15_000,
  callTimeoutMs: 30_000,
  maxMessageBytes: 2 * 1024 * 1024
} as const
