import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { type CliIo, runCli } from "../src/index.js"

const temps: Array<string> = []
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
})

const cli = join(import.meta.dirname, "..", "dist", "main.js")
const model = join(import.meta.dirname, "fixtures", "scripted-model.mjs")

const bga = async (cwd: string, ...args: Array<string>) => {
  const out: Array<string> = []
  const err: Array<string> = []
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd }
  const code = await runCli(args, io)
  return { code, out: out.join("\n"), err: err.join("\n") }
}

describe("bga gateway start", () => {
  it("serves the configured gateway until SIGTERM, then drains and exits 0", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "bga-cli-start-"))
    temps.push(cwd)
    writeFileSync(join(cwd, "bga.config.json"), JSON.stringify({ gateway: { log: { level: "warn" } } }))
    const created = await bga(
      cwd,
      "keys",
      "create",
      "--instance",
      "acme",
      "--name",
      "ops",
      "--scope",
      "admin"
    )
    expect(created.code, created.err).toBe(0)
    const { token } = JSON.parse(created.out) as { token: string }

    const child = spawn(process.execPath, [cli, "gateway", "start", "--model", model, "--port", "0"], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let err = ""
    child.stderr.on("data", (chunk) => {
      err += chunk
    })
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    try {
      const started = await new Promise<{ url: string; admin: string }>((resolve, reject) => {
        let out = ""
        child.stdout.on("data", (chunk) => {
          out += chunk
          const line = out.split("\n").find((l) => l.startsWith("{"))
          if (line !== undefined) resolve(JSON.parse(line))
        })
        child.on("exit", (code) => reject(new Error(`exited ${code}: ${err}`)))
      })
      expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/u)
      expect((await fetch(`${started.url}/readyz`)).status).toBe(200)
      const run = await fetch(`${started.url}/api/v1/runs.create`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ input: { text: "hello" } })
      })
      expect(run.status).toBe(200)
      child.kill("SIGTERM")
      expect(await exited).toBe(0)
    } finally {
      child.kill("SIGKILL")
    }
  }, 60_000)

  it("refuses to start without a model module", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "bga-cli-start-"))
    temps.push(cwd)
    const result = await bga(cwd, "gateway", "start")
    expect(result.code).toBe(2)
    expect(result.err).toContain("--model")
  })
})
