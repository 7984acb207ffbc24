import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"

const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A path for a new database file in a temporary directory removed after the test file. */
export const tempDbPath = (name = "bga.sqlite"): string => {
  const dir = mkdtempSync(join(tmpdir(), "bga-dual-"))
  dirs.push(dir)
  return join(dir, name)
}
