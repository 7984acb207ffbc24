import { readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { describe, expect, it } from "@effect/vitest"

const src = join(import.meta.dirname, "..", "..", "src")
const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  )
const importsOf = (file: string) =>
  [...readFileSync(file, "utf8").matchAll(/(?:^|\n)\s*(?:import|export)[^"']*?from\s+["']([^"']+)["']/g)].map(
    (m) => m[1]!
  )

describe("orchestrator and model port boundaries", () => {
  // The orchestrator runs the same for every channel and with no adapter installed: it may use
  // core, Effect and the AI SDK provider specification, nothing else.
  const allowed = (specifier: string) =>
    specifier.startsWith(".") ||
    specifier === "effect" ||
    specifier.startsWith("effect/") ||
    specifier === "@ai-sdk/provider"

  it.each([
    ["src/orchestrator", filesUnder(join(src, "orchestrator"))],
    ["src/model", filesUnder(join(src, "model"))],
    ["the scripted model", [join(src, "testing", "ScriptedModel.ts")]]
  ])("%s imports no channel, storage or adapter package", (_area, files) => {
    expect(files.length).toBeGreaterThan(0)
    for (const file of files) {
      const outside = importsOf(file).filter((s) => !allowed(s))
      expect(outside, relative(src, file)).toEqual([])
    }
  })

  it("keeps the orchestrator's building blocks pure: no model, store or clock service is reached from them", () => {
    // The building blocks; the port (Orchestrator.ts) and the service that composes them are not pure by design.
    const blocks = [
      "RunStateMachine",
      "Budget",
      "Checkpoint",
      "CheckpointSteps",
      "LaneLimits",
      "LaneScheduler",
      "Recovery",
      "RunEvents"
    ]
    for (const file of blocks.map((name) => join(src, "orchestrator", `${name}.ts`))) {
      const text = readFileSync(file, "utf8")
      expect(text, relative(src, file)).not.toMatch(/Context\.Service|yield\*|setTimeout|Date\.now\(\)/)
    }
  })
})
