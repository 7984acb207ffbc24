import { readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import Type from "typebox"
import * as Tools from "../../src/tools/index.js"
import { call, makeHarness } from "./harness.js"

const src = join(import.meta.dirname, "..", "..", "src")
const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  )

const functionsIn = (value: unknown, seen = new Set<unknown>()): Array<unknown> => {
  if (value === null || (typeof value !== "object" && typeof value !== "function") || seen.has(value))
    return []
  seen.add(value)
  if (typeof value === "function") return [value]
  return Object.values(value as object).flatMap((v) => functionsIn(v, seen))
}

describe("the invoke pipeline is the only way to reach a handler", () => {
  let ran = 0
  const handler = () => {
    ran++
    return "ran"
  }
  const tool = Tools.defineTool({ name: "echo", description: "d", parameters: Type.Object({}), handler })

  it("a definition carries no reference to its handler", () => {
    expect(functionsIn(tool)).not.toContain(handler)
    expect(Object.isFrozen(tool)).toBe(true)
  })

  it("neither does the registry, for built-in or plugin tools", () => {
    const registry = Tools.makeToolRegistry([tool], [{ plugin: "@acme/p", tools: [tool] }])
    expect(functionsIn(registry.list())).not.toContain(handler)
    expect(functionsIn(registry.describe())).not.toContain(handler)
    expect(functionsIn(registry.get("acme-p.echo"))).not.toContain(handler)
  })

  it("the package does not export the handler accessor", async () => {
    const exported = await import("../../src/tools/index.js")
    expect(Object.keys(exported)).not.toContain("handlerOf")
    const pkg = JSON.parse(readFileSync(join(src, "..", "package.json"), "utf8")) as {
      exports: Record<string, unknown>
    }
    expect(pkg.exports["./internal/*"]).toBeNull()
  })

  it("only the execute step calls the accessor", () => {
    const callers = filesUnder(src)
      .filter((f) => /handlerOf\(/u.test(readFileSync(f, "utf8")))
      .map((f) => relative(src, f))
      .sort()
    expect(callers).toEqual(["tools/ToolDefinition.ts", "tools/internal/execute.ts"])
  })

  it.effect("and the runtime reaches it only after a recorded decision", () =>
    Effect.gen(function* () {
      const { runtime, audit } = yield* makeHarness([tool])
      ran = 0
      const outcome = yield* runtime.invoke(call("echo", {}))
      expect(outcome._tag).toBe("Succeeded")
      expect(ran).toBe(1)
      const kinds = (yield* audit.list("acme")).items.map((r) => r.kind)
      expect(kinds).toEqual(["policy_decision", "tool_invocation"])
    })
  )
})
