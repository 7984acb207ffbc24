import { spawn } from "node:child_process"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { cleanup, tempDir } from "./support.js"

afterAll(cleanup)

const demoMain = join(import.meta.dirname, "..", "dist", "demo", "main.js")

/** Runs the demo as `npm run demo` does (built), with --once so it checks itself and exits. */
const runOnce = (dir: string): Promise<{ code: number | null; out: string; err: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [demoMain, "--once", "--port", "0", "--dir", dir], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, BGA_DEMO_ONCE: "" }
    })
    let out = ""
    let err = ""
    child.stdout.on("data", (chunk) => {
      out += chunk
    })
    child.stderr.on("data", (chunk) => {
      err += chunk
    })
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.on("error", reject)
    child.on("exit", (code) => {
      clearTimeout(timer)
      resolve({ code, out, err })
    })
  })

describe("npm run demo", () => {
  it("starts the gateway on loopback with SQLite, prints the admin URL and a one-time key, and seeds a run waiting for approval", async () => {
    const dir = tempDir("demo")
    const { code, out, err } = await runOnce(dir)
    expect(code, `${out}\n${err}`).toBe(0)
    expect(out).toMatch(/Admin UI\s+http:\/\/127\.0\.0\.1:\d+\/admin\//u)
    expect(out).toMatch(/API key\s+bga1\.demo\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}/u)
    expect(out).toContain(dir)
    expect(out).toContain("demo check: ok")
  }, 90_000)
})
