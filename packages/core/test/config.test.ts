import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Result } from "effect"
import * as Config from "../src/config/index.js"

const errorOf = <A>(result: Result.Result<A, Config.ConfigError>) =>
  Result.merge(result) as Config.ConfigError
const secrets = (env: Record<string, string>): Config.SecretSource => ({
  env,
  readFile: () => {
    throw new Error("no files")
  }
})

describe("configuration", () => {
  it("defaults to the B2B production settings", () => {
    const config = Config.defaultConfig()
    expect(config.deployment.mode).toBe("b2b")
    expect(config.security.egress.allowlist).toEqual([])
    expect(config.plugins.trustMode).toBe("signed")
    expect(config.tools.riskyExecution).toBe("sandbox_only")
    expect(config.tools.riskyRequireApproval).toBe(false)
    expect(config.storage).toEqual({ kind: "sqlite", path: ".data/bga.sqlite" })
  })

  it("has no mode other than b2b", () => {
    const error = errorOf(Config.decodeConfig({ deployment: { mode: "dev" } }))
    expect(error.problems).toEqual([{ path: "$.deployment.mode", message: 'Expected "b2b" (got "dev")' }])
  })

  it("cannot configure risky tools to run on the host", () => {
    const error = errorOf(Config.decodeConfig({ tools: { riskyExecution: "host" } }))
    expect(error.problems[0]?.path).toBe("$.tools.riskyExecution")
    expect(error.problems[0]?.message).toContain('"sandbox_only" | "deny"')
  })

  it("rejects unknown keys, naming them", () => {
    const error = errorOf(Config.decodeConfig({ tools: { riskyExecutoin: "deny" } }))
    expect(error.reason).toBe("invalid")
    expect(error.problems.map((p) => p.path)).toEqual(["$.tools.riskyExecutoin"])
  })

  it("names the path, the bad value and what was expected", () => {
    const error = errorOf(
      Config.decodeConfig({ security: { egress: { allowlist: ["ok.example.com", "bad host"] } } })
    )
    expect(error.problems).toHaveLength(1)
    expect(error.problems[0]?.path).toBe("$.security.egress.allowlist[1]")
    expect(error.problems[0]?.message).toMatch(/Expected a host name .* \(got "bad host"\)/)
    expect(error.message).toContain("$.security.egress.allowlist[1]")
  })

  it("applies per customer instance overrides", () => {
    const config = Result.getOrThrow(
      Config.decodeConfig({
        tools: { riskyRequireApproval: false },
        customerInstances: { acme: { tools: { riskyRequireApproval: true, approvalTtlMinutes: 5 } } }
      })
    )
    expect(Config.instanceSettings(config, "acme")).toMatchObject({
      riskyRequireApproval: true,
      approvalTtlMinutes: 5
    })
    expect(Config.instanceSettings(config, "globex")).toMatchObject({
      riskyRequireApproval: false,
      approvalTtlMinutes: 30
    })
    expect(Config.instanceSettings(config, "__proto__").riskyRequireApproval).toBe(false)
  })

  it("rejects a customer instance key that is not a valid id", () => {
    const error = errorOf(Config.decodeConfig({ customerInstances: { "Not Valid": {} } }))
    expect(error.problems[0]?.path).toBe('$.customerInstances["Not Valid"]')
  })

  it("requires every referenced secret to resolve, and keeps it redacted", () => {
    const input = { storage: { kind: "postgres", url: { $env: "BGA_PG_URL" } } }
    const missing = errorOf(Config.decodeConfig(input, { secrets: secrets({}) }))
    expect(missing.reason).toBe("missing-secret")
    expect(missing.problems).toEqual([
      { path: "$.storage.url", message: "environment variable BGA_PG_URL is not set or empty" }
    ])

    const config = Result.getOrThrow(
      Config.decodeConfig(input, { secrets: secrets({ BGA_PG_URL: "postgres://x" }) })
    )
    expect(config.storage.kind).toBe("postgres")
    if (config.storage.kind !== "postgres") return
    const value = Result.getOrThrow(
      Config.resolveSecret(config.storage.url, secrets({ BGA_PG_URL: "postgres://x" }))
    )
    expect(Redacted.value(value)).toBe("postgres://x")
    expect(String(value)).not.toContain("postgres://x")
  })

  it("loads a JSON file and reports a missing file or bad JSON as typed errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "bga-config-"))
    const good = join(dir, "good.json")
    writeFileSync(good, JSON.stringify({ security: { egress: { allowlist: ["*.example.org"] } } }))
    expect(Result.getOrThrow(Config.loadConfigFile(good)).security.egress.allowlist).toEqual([
      "*.example.org"
    ])

    expect(errorOf(Config.loadConfigFile(join(dir, "nope.json"))).reason).toBe("not-found")

    const bad = join(dir, "bad.json")
    writeFileSync(bad, "{ not json")
    const error = errorOf(Config.loadConfigFile(bad))
    expect(error.reason).toBe("invalid")
    expect(error.source).toBe(bad)
  })

  it.effect("provides the configuration as a service", () =>
    Effect.gen(function* () {
      const config = yield* Config.ConfigService
      expect(config.plugins.trustMode).toBe("curated")
    }).pipe(Effect.provide(Config.layer({ plugins: { trustMode: "curated" } })))
  )

  it.effect("fails the layer with ConfigError on bad input", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.provide(
          Effect.service(Config.ConfigService),
          Config.layer({ plugins: { trustMode: "none" as "signed" } })
        )
      )
      expect(error._tag).toBe("@bga/core/ConfigError")
    })
  )
})
