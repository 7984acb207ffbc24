import type { ToolDefinition } from "./ToolDefinition.js"
import { renamed, ToolDefinitionError } from "./ToolDefinition.js"

/** A tool as the model sees it: name, description and the JSON Schema of its arguments. */
export interface ToolDescriptor {
  readonly name: string
  readonly description: string
  readonly parameters: { readonly [key: string]: unknown }
}

/**
 * The tools one runtime can invoke. Names are unique; a plugin's tools are namespaced
 * `plugin.tool` so a plugin can never shadow a built-in or another plugin's tool.
 */
export interface ToolRegistry {
  readonly get: (name: string) => ToolDefinition | undefined
  readonly list: () => ReadonlyArray<ToolDefinition>
  readonly describe: () => ReadonlyArray<ToolDescriptor>
}

/**
 * Plugin namespace from a package name: `@acme/crm-tools` becomes `acme-crm-tools`. The scope
 * is kept, so `@acme/x` and `@evil/x` never share a namespace.
 */
export const pluginNamespace = (pluginName: string): string => {
  const slug = pluginName
    .replace(/^@/u, "")
    .replace(/[^a-z0-9_-]+/gu, "-")
    .replace(/^-+|-+$/gu, "")
  return (/^[a-z]/u.test(slug) ? slug : `p-${slug}`).slice(0, 64)
}

/**
 * Builds a registry. Throws `ToolDefinitionError` (reason `duplicate`) when two tools share a
 * name, so a misconfiguration fails at startup rather than at call time.
 */
export const makeToolRegistry = (
  tools: ReadonlyArray<ToolDefinition>,
  plugins: ReadonlyArray<{
    readonly plugin: string
    readonly tools: ReadonlyArray<ToolDefinition>
  }> = []
): ToolRegistry => {
  const byName = new Map<string, ToolDefinition>()
  const add = (tool: ToolDefinition) => {
    if (byName.has(tool.name)) {
      throw new ToolDefinitionError({
        tool: tool.name,
        reason: "duplicate",
        detail: "a tool with this name is already registered"
      })
    }
    byName.set(tool.name, tool)
  }
  for (const tool of tools) add(tool)
  for (const { plugin, tools: pluginTools } of plugins) {
    const namespace = pluginNamespace(plugin)
    for (const tool of pluginTools) {
      if (tool.name.includes(".")) {
        throw new ToolDefinitionError({
          tool: tool.name,
          reason: "invalid-name",
          detail: "plugin tools are namespaced by the runtime; use a plain name"
        })
      }
      add(renamed(tool, `${namespace}.${tool.name}`, plugin))
    }
  }
  const list = [...byName.values()]
  const descriptors = list.map((t) => ({
    name: t.name,
    description: t.description,
    parameters: t.parameters.jsonSchema
  }))
  return {
    get: (name) => byName.get(name),
    list: () => list,
    describe: () => descriptors
  }
}
