import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import * as Secrets from "../../src/secrets/index.js"

describe("Secrets providers", () => {
  it.effect("reads an instance's secret from its environment variable", () =>
    Effect.gen(function* () {
      const secrets = Secrets.makeEnv({ BGA_SECRET__ACME_2DEU__CRM_TOKEN: "s3cret" })
      const value = yield* secrets.get("acme-eu", "CRM_TOKEN")
      expect(Redacted.value(value)).toBe("s3cret")
      expect(String(value)).not.toContain("s3cret")
    })
  )

  it.effect("never falls back to another instance's secret", () =>
    Effect.gen(function* () {
      const secrets = Secrets.makeEnv({ BGA_SECRET__ACME__CRM_TOKEN: "acme-only" })
      const error = yield* Effect.flip(secrets.get("globex", "CRM_TOKEN"))
      expect(error.reason).toBe("not-found")
    })
  )

  it("maps every (instance, name) pair to its own variable: no two instances share a secret", () => {
    const pairs: Array<[string, string]> = [
      ["acme-eu", "CRM_TOKEN"],
      ["acme_eu", "CRM_TOKEN"],
      ["acme__crm", "TOKEN"],
      ["acme", "CRM__TOKEN"],
      ["a-b_c", "X"],
      ["a_b-c", "X"]
    ]
    const names = pairs.map(([ci, name]) => Secrets.envVarName(ci, name))
    expect(new Set(names).size).toBe(pairs.length)
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9](?:[a-z0-9_-]{0,10}[a-z0-9])?$/u),
        fc.stringMatching(/^[a-z0-9](?:[a-z0-9_-]{0,10}[a-z0-9])?$/u),
        fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/u),
        fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/u),
        (a, b, x, y) => {
          if (a === b && x === y) return
          expect(Secrets.envVarName(a, x)).not.toBe(Secrets.envVarName(b, y))
        }
      )
    )
  })

  it.effect("refuses names that could traverse paths", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "bga-secrets-"))
      mkdirSync(join(dir, "acme"))
      writeFileSync(join(dir, "acme", "TOKEN"), "file-secret\n")
      const secrets = Secrets.makeFiles(dir)
      expect(Redacted.value(yield* secrets.get("acme", "TOKEN"))).toBe("file-secret")
      expect((yield* Effect.flip(secrets.get("acme", "../acme/TOKEN"))).reason).toBe("invalid-name")
      expect((yield* Effect.flip(secrets.get("../acme", "TOKEN"))).reason).toBe("invalid-name")
    })
  )
})

describe("secret scrubber", () => {
  it("replaces a secret and its common encodings everywhere in a value", () => {
    const secret = "tok/en+value=="
    const scrub = Secrets.makeScrubber([secret])
    const { value, count } = scrub.scrubValue({
      plain: `Bearer ${secret}`,
      url: `https://x.test/?t=${encodeURIComponent(secret)}`,
      b64: Buffer.from(secret).toString("base64"),
      nested: [{ [secret]: secret }]
    })
    expect(JSON.stringify(value)).not.toContain(secret)
    expect(JSON.stringify(value)).not.toContain(encodeURIComponent(secret))
    expect(count).toBe(5)
  })

  it("keeps a __proto__ key as plain data", () => {
    const { value } = Secrets.makeScrubber(["x-secret"]).scrubValue(
      JSON.parse('{"__proto__":{"polluted":"x-secret"}}')
    )
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it("never lets a planted secret through, whatever surrounds it", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 6 }), fc.string(), fc.string(), (secret, before, after) => {
        const { text } = Secrets.makeScrubber([secret]).scrubText(`${before}${secret}${after}`)
        expect(text.includes(secret)).toBe(false)
      })
    )
  })
})
