import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
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
    ["src/orchestrator (the service and its internals included)", filesUnder(join(src, "orchestrator"))],
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

  const built = existsSync(join(src, "..", "dist", "orchestrator", "promise.js"))
  if (!built && process.env.BGA_TEST_REQUIRE) {
    throw new Error(
      "the boundaries test runs the built orchestrator (BGA_TEST_REQUIRE is set): run pnpm build"
    )
  }
  it.skipIf(!built)(
    `builds and runs the orchestrator with in-memory storage and no other adapter package loaded${built ? "" : " (skipped: build first)"}`,
    () => {
      // A separate process, so that only what the run really needs is loaded, and every module it
      // loads is recorded by a resolve hook.
      const child = fileURLToPath(new URL("./no-adapters-child.mjs", import.meta.url))
      const report = JSON.parse(
        execFileSync(process.execPath, [child], { encoding: "utf8", timeout: 60_000 })
      ) as {
        state: string
        output: string
        packages: Array<string>
      }
      expect(report.state).toBe("COMPLETED")
      expect(report.output).toBe("gold")
      expect(report.packages.filter((p) => p.startsWith("@bga/"))).toEqual([
        "@bga/core",
        "@bga/storage-memory"
      ])
      const channelish =
        /slack|teams|botbuilder|microsoft|webhook|adapters|sandbox|docker|postgres|sqlite|\bpg\b/u
      expect(report.packages.filter((p) => channelish.test(p))).toEqual([])
    }
  )
})
