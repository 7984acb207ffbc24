import { Effect } from "effect"
import type { Json as JsonValue } from "effect/Schema"
import { defineTool, type ToolDefinition } from "../tools/ToolDefinition.js"
import type { LoadedPlugin } from "./host.js"

/**
 * The tools a loaded plugin registered, as definitions for `makeToolRegistry(..., plugins)`.
 * The registry namespaces them (`acme-crm.lookup`); every call then goes through the tool
 * runtime like any other (policy, audit, budgets), and reaches the plugin over its own
 * runtime (isolated process or in-process), where only its granted capabilities exist.
 */
export const toolsOf = (
  plugin: LoadedPlugin,
  options: { readonly timeoutMs?: number; readonly maxOutputBytes?: number } = {}
): { readonly plugin: string; readonly tools: ReadonlyArray<ToolDefinition> } => ({
  plugin: plugin.manifest.name,
  tools: plugin.tools().map((tool) =>
    defineTool<JsonValue>({
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters,
      idempotent: false,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.maxOutputBytes === undefined ? {} : { maxOutputBytes: options.maxOutputBytes }),
      handler: (args, context) =>
        Effect.runPromise(plugin.invokeTool(tool.name, args, { signal: context.signal }))
    })
  )
})
