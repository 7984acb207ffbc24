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
const managedNode = join(bin, "node")
const readStamp = () => {
  try {
    return JSON.parse(readFileSync(stampFile, "utf8"))
  } catch {
    return {}
  }
}
const stamp = readStamp()
// Node 24 is fetched when the Node running this script is too old. Once fetched it stays: a later
// run under a newer Node (the fetched one included, as when a test calls `npm run demo`) never
// removes it, so the commands always run on the same toolchain.
const needNode = !nodeIsRecentEnough(process.version) || (stamp.node === nodeMajor && existsSync(managedNode))
const wanted = { pnpm: pnpmVersion, node: needNode ? nodeMajor : "system" }
const current =
  stamp.pnpm === wanted.pnpm &&
  stamp.node === wanted.node &&
  existsSync(join(bin, "pnpm")) &&
  (!needNode || existsSync(managedNode))

if (!current) {
  console.error(
    `[toolchain] fetching pnpm ${pnpmVersion}${needNode ? ` and node ${nodeMajor}` : ""} into .tools/ (system Node ${process.version})`
  )
  rmSync(tools, { recursive: true, force: true })
  mkdirSync(bin, { recursive: true })
  writeFileSync(join(tools, "package.json"), JSON.stringify({ name: "bga-tools", private: true }))
  const specs = [`pnpm@${pnpmVersion}`]
  if (needNode) specs.push(`node@${nodeMajor}`)
  const npm = process.platform === "win32" ? "npm.cmd" : "npm"
  const status = run(npm, ["install", "--no-audit", "--no-fund", "--no-save", "--prefix", tools, ...specs])
  if (status !== 0) fail("npm install of the toolchain failed; see the output above")
  // Relative links: the checkout may move.
  symlinkSync(join("..", "node_modules", ".bin", "pnpm"), join(bin, "pnpm"))
  if (needNode) symlinkSync(join("..", "node_modules", ".bin", "node"), managedNode)
  writeFileSync(stampFile, JSON.stringify(wanted))
}

const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` }
const [script = "--version", ...rest] = process.argv.slice(2)
process.exit(run(join(bin, "pnpm"), [script, ...rest], { env }))
