import { execFileSync } from "node:child_process"
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { computeChecksum, type PluginError } from "../../src/plugins/index.js"
import { tempDir } from "./fixtures.js"

const tree = (files: Record<string, string>, order = Object.keys(files)): string => {
  const root = tempDir()
  for (const path of order) {
    mkdirSync(join(root, path, ".."), { recursive: true })
    writeFileSync(join(root, path), files[path]!)
  }
  return root
}
const sum = (root: string) => Result.getOrThrow(computeChecksum(root, "test")).checksum
const refusal = (root: string) => Result.merge(computeChecksum(root, "test")) as PluginError

describe("package checksum", () => {
  const files = { "index.js": "export default {}", "lib/a.js": "a", "lib/b.js": "b", "README.md": "hi" }

  it("is the same for the same contents, whatever order the files were written in", () => {
    expect(sum(tree(files))).toBe(sum(tree(files, Object.keys(files).reverse())))
    expect(sum(tree(files))).toMatch(/^sha256:[0-9a-f]{64}$/u)
  })

  it.each([
    ["a file's content changes", { ...files, "lib/a.js": "A" }],
    ["a file is added", { ...files, "lib/c.js": "c" }],
    [
      "a file is renamed",
      { "index.js": files["index.js"], "lib/a2.js": "a", "lib/b.js": "b", "README.md": "hi" }
    ],
    ["bytes move between files", { ...files, "lib/a.js": "ab", "lib/b.js": "" }]
  ])("changes when %s", (_case, changed) => {
    expect(sum(tree(changed as Record<string, string>))).not.toBe(sum(tree(files)))
  })

  it("leaves out the manifest (it carries the checksum) and the top-level node_modules", () => {
    const base = sum(tree(files))
    expect(sum(tree({ ...files, "bga-plugin.json": "{}", "node_modules/dep/index.js": "x" }))).toBe(base)
    expect(sum(tree({ ...files, "lib/node_modules/x.js": "x" }))).not.toBe(base)
  })

  it("covers symlinks that stay inside by their link text", () => {
    const root = tree(files)
    symlinkSync("lib/a.js", join(root, "alias.js"))
    expect(sum(root)).not.toBe(sum(tree(files)))
  })

  it.each([
    ["an absolute symlink", "/etc/passwd"],
    ["a symlink climbing out", "../../outside"],
    ["a symlink escaping through another link", "self/.."]
  ])("refuses %s", (_case, target) => {
    const root = tree(files)
    symlinkSync(".", join(root, "self"))
    symlinkSync(target, join(root, "escape"))
    const error = refusal(root)
    expect(error.reason).toBe("unsafe-package")
    expect(error.detail).toContain("escape")
  })

  it("refuses FIFOs and other special files", () => {
    const root = tree(files)
    execFileSync("mkfifo", [join(root, "pipe")])
    expect(refusal(root).detail).toContain("pipe is not a regular file")
  })

  it("refuses a package over the file size limit", () => {
    const root = tree(files)
    const error = Result.merge(
      computeChecksum(root, "test", { maxFiles: 100, maxFileBytes: 1, maxTotalBytes: 1000, maxDepth: 8 })
    ) as PluginError
    expect(error.reason).toBe("unsafe-package")
    expect(error.detail).toContain("over the limit")
  })
})
