import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Redacted, Result } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { decodeGatewayConfig, loadGatewayConfigFile, resolveKeyPepper } from "../../src/gateway/settings.js"

const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), "bga-gw-settings-"))
  dirs.push(dir)
  return dir
}

describe("gateway configuration", () => {
  it("defaults to loopback, SQLite in .data, 1 MiB bodies and 30 s per request", () => {
    const decoded = Result.getOrThrow(decodeGatewayConfig({}))
    expect(decoded.gateway).toMatchObject({
      host: "127.0.0.1",
      port: 8787,
      dataDir: ".data",
      limits: { maxBodyBytes: 1_048_576, requestTimeoutMs: 30_000 },
      shutdown: { drainTimeoutMs: 10_000 }
    })
    expect(decoded.config.storage).toEqual({ kind: "sqlite", path: ".data/bga.sqlite" })
  })

  it("reads the gateway section beside the BGA configuration, both strictly", () => {
    const decoded = Result.getOrThrow(
      decodeGatewayConfig(
        {
          storage: { kind: "postgres", url: { $env: "BGA_PG" } },
          gateway: { port: 9000, limits: { maxBodyBytes: 65_536 } }
        },
        { secrets: { env: { BGA_PG: "postgres://localhost/bga" }, readFile: () => "" } }
      )
    )
    expect(decoded.gateway.port).toBe(9000)
    expect(decoded.gateway.limits.maxBodyBytes).toBe(65_536)
    expect(decoded.config.storage.kind).toBe("postgres")

    const bad = decodeGatewayConfig({ gateway: { port: 70_000, listen: "0.0.0.0" }, tools: { typo: 1 } })
    expect(Result.isFailure(bad) && bad.failure.problems.map((p) => p.path)).toContain("$.tools.typo")
    const badGateway = decodeGatewayConfig({ gateway: { port: 70_000, listen: "0.0.0.0" } })
    expect(Result.isFailure(badGateway) && badGateway.failure.problems.map((p) => p.path).sort()).toEqual([
      "$.gateway.listen",
      "$.gateway.port"
    ])
  })

  it("loads a file and names it in errors", () => {
    const dir = temp()
    writeFileSync(join(dir, "gw.json"), JSON.stringify({ gateway: { port: "eighty" } }))
    const loaded = loadGatewayConfigFile(join(dir, "gw.json"))
    expect(Result.isFailure(loaded) && loaded.failure.message).toContain("gw.json")
    expect(Result.isFailure(loadGatewayConfigFile(join(dir, "missing.json")))).toBe(true)
  })

  it("creates the key pepper once, readable by its owner only, and reuses it", () => {
    const dir = temp()
    const { gateway } = Result.getOrThrow(decodeGatewayConfig({ gateway: { dataDir: join(dir, "data") } }))
    expect(Result.isFailure(resolveKeyPepper(gateway))).toBe(true)
    const first = Result.getOrThrow(resolveKeyPepper(gateway, { create: true }))
    const second = Result.getOrThrow(resolveKeyPepper(gateway, { create: true }))
    expect(Redacted.value(first)).toBe(Redacted.value(second))
    expect(Redacted.value(first).length).toBeGreaterThanOrEqual(32)
    const file = join(dir, "data", "gateway-key-pepper")
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, "utf8").trim()).toBe(Redacted.value(first))
  })

  it("refuses a configured pepper that is too short", () => {
    const { gateway } = Result.getOrThrow(decodeGatewayConfig({ gateway: { keyPepper: { $env: "PEPPER" } } }))
    const short = resolveKeyPepper(gateway, { secrets: { env: { PEPPER: "short" }, readFile: () => "" } })
    expect(Result.isFailure(short) && short.failure.message).toContain("at least 32 characters")
  })
})
