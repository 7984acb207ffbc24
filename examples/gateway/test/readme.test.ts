import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "..", "..", "..")

describe("the README", () => {
  it("shows the embed example exactly as the file the build type-checks", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    const example = readFileSync(join(root, "examples", "gateway", "src", "embed.ts"), "utf8")
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``)
  })

  it("names the commands and files that exist", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    const scripts = (
      JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }
    ).scripts
    for (const script of ["demo", "test", "loadtest:gateway", "build", "check", "codegen", "changeset"]) {
      expect(Object.keys(scripts)).toContain(script)
    }
    for (const link of readme.matchAll(/\]\(((?:docs|examples|packages)\/[^)#]+)\)/gu)) {
      expect(existsSync(join(root, link[1] ?? "")), link[1]).toBe(true)
    }
  })
})
