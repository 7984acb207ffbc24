#!/usr/bin/env node
// Runs the repository's commands with a suitable toolchain. The machine may only have an
// older Node and npm: when its Node is older than the engines floor, Node 24 and the pinned
// pnpm are fetched from the npm registry into the git-ignored .tools/ folder and used from
// there. Nothing outside the repository is changed; a second run re-uses .tools/.
//
//   node scripts/toolchain.mjs <pnpm script> [args...]
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const tools = join(root, ".tools")
const bin = join(tools, "bin")
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const pnpmVersion = pkg.packageManager.replace(/^pnpm@/, "").split("+")[0]
const nodeMajor = "24"
const [floorMajor, floorMinor] = [22, 19]

const fail = (message) => {
  console.error(`[toolchain] ${message}`)
  process.exit(1)
}

const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, { stdio: "inherit", cwd: root, ...options })
  if (result.error) fail(`could not start ${command}: ${result.error.message}`)
  return result.status ?? 1
}

const nodeIsRecentEnough = (version) => {
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number)
  return major > floorMajor || (major === floorMajor && minor >= floorMinor)
}

const stampFile = join(tools, "stamp.json")
const wanted = { pnpm: pnpmVersion, node: nodeIsRecentEnough(process.version) ? "system" : nodeMajor }
const stamp = existsSync(stampFile) ? readFileSync(stampFile, "utf8") : ""

if (stamp !== JSON.stringify(wanted)) {
  console.error(
    `[toolchain] fetching pnpm ${pnpmVersion}${wanted.node === "system" ? "" : ` and node ${nodeMajor}`} into .tools/ (system Node ${process.version})`
  )
  rmSync(tools, { recursive: true, force: true })
  mkdirSync(bin, { recursive: true })
  writeFileSync(join(tools, "package.json"), JSON.stringify({ name: "bga-tools", private: true }))
  const specs = [`pnpm@${pnpmVersion}`]
  if (wanted.node !== "system") specs.push(`node@${nodeMajor}`)
  const npm = process.platform === "win32" ? "npm.cmd" : "npm"
  const status = run(npm, ["install", "--no-audit", "--no-fund", "--no-save", "--prefix", tools, ...specs])
  if (status !== 0) fail("npm install of the toolchain failed; see the output above")
  symlinkSync(join(tools, "node_modules", ".bin", "pnpm"), join(bin, "pnpm"))
  if (wanted.node !== "system") symlinkSync(join(tools, "node_modules", ".bin", "node"), join(bin, "node"))
  writeFileSync(stampFile, JSON.stringify(wanted))
}

const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` }
const [script = "--version", ...rest] = process.argv.slice(2)
process.exit(run(join(bin, "pnpm"), [script, ...rest], { env }))
