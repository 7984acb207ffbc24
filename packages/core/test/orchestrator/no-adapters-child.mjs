// Runs one run through the orchestrator with in-memory storage and nothing else, and reports
// every package the process loaded, so the boundaries test can check that no channel, sandbox
// or other adapter package was needed. Prints one JSON line: { state, output, packages }.
import { registerHooks } from "node:module"
import { fileURLToPath } from "node:url"

const loaded = new Set()
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context)
    loaded.add(resolved.url)
    return resolved
  }
})

/** The package a module file belongs to: `name` under node_modules, `@bga/<dir>` in the workspace. */
const packageOf = (url) => {
  if (!url.startsWith("file:")) return url.startsWith("node:") ? "node:" : url
  const path = fileURLToPath(url)
  const inModules = path.split("/node_modules/").at(-1)
  if (inModules !== path) {
    const parts = inModules.split("/")
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]
  }
  const workspace = /\/(packages|examples)\/([^/]+)\//u.exec(path)
  return workspace === null ? path : `@bga/${workspace[2]}`
}

const { Schema } = await import("effect")
const { createOrchestrator } = await import("../../dist/orchestrator/promise.js")
const { make: scripted } = await import("../../dist/testing/ScriptedModel.js")
const { defineTool } = await import("../../dist/tools/index.js")
const { StorageMemory } = await import("@bga/storage-memory")

const lookup = defineTool({
  name: "lookup",
  description: "Look up a customer",
  parameters: Schema.Struct({ email: Schema.String }),
  handler: ({ email }) => ({ email, plan: "gold" })
})
const bga = await createOrchestrator({
  storage: StorageMemory.layer,
  model: scripted([{ toolCalls: [{ name: "lookup", args: { email: "a@example.com" } }] }, { text: "gold" }]),
  tools: [lookup],
  policy: {
    version: 1,
    deployment: {
      rules: [
        {
          id: "lookup",
          effect: "allow",
          rationale: "t",
          actions: "tool.invoke",
          resource: { names: "lookup" }
        }
      ]
    }
  }
})
const { run } = await bga.create({
  version: 2,
  customerInstanceId: "acme",
  environment: "production",
  actor: { kind: "user", id: "u-1", roles: [] },
  input: { text: "Which plan?" }
})
await bga.awaitIdle()
const view = await bga.get("acme", run.run.runId)
await bga.close()
process.stdout.write(
  `${JSON.stringify({ state: view.run.state, output: view.output, packages: [...new Set([...loaded].map(packageOf))].sort() })}\n`
)
