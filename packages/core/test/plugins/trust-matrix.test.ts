import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import { decodeUnknown } from "../../src/contracts/decode.js"
import { PolicyDecisionTraceV1 } from "../../src/contracts/PolicyDecisionTrace.js"
import {
  make,
  makeMemoryRecorder,
  type PluginError,
  type PluginErrorReason,
  pluginRef,
  signCatalog,
  signDocument,
  signPackage,
  type TrustPolicy
} from "../../src/plugins/index.js"
import { newKey, policy, signedPlugin, type TestKey, tempDir, writePlugin } from "./fixtures.js"

const publisher = newKey()
const stranger = newKey()

type Variant = "valid" | "unsigned" | "tampered" | "revoked" | "untrusted key"

/** A plugin folder in the given state, and the settings of the host that judges it. */
const scenario = (variant: Variant) => {
  const key: TestKey = variant === "untrusted key" ? stranger : publisher
  let dir: string
  if (variant === "unsigned") {
    dir = writePlugin(join(tempDir(), "pkg"), key)
  } else {
    dir = signedPlugin(key)
  }
  if (variant === "tampered") {
    // A permission added after signing: the classic escalation.
    const path = join(dir, "bga-plugin.json")
    const manifest = JSON.parse(readFileSync(path, "utf8"))
    manifest.permissions.push("secrets.read:DB_PASSWORD")
    writeFileSync(path, JSON.stringify(manifest))
  }
  const manifest = JSON.parse(readFileSync(join(dir, "bga-plugin.json"), "utf8"))
  return { dir, manifest, revoked: variant === "revoked" ? [publisher.keyId] : [] }
}

const expected: Record<Variant, PluginErrorReason | "installed"> = {
  valid: "installed",
  unsigned: "unsigned",
  tampered: "bad-signature",
  revoked: "revoked-key",
  "untrusted key": "untrusted-key"
}

const hostFor = (trust: TrustPolicy) => {
  const recorder = makeMemoryRecorder()
  const installDir = tempDir()
  return { host: make({ policy: trust, installDir, recorder }), recorder, installDir }
}

/** Nothing but an empty staging folder is left in a plugin folder after a refused install. */
const expectNothingInstalled = (installDir: string) => {
  const left = readdirSync(installDir).filter((name) => name !== ".staging")
  expect(left).toEqual([])
  if (existsSync(join(installDir, ".staging"))) expect(readdirSync(join(installDir, ".staging"))).toEqual([])
}

describe.each(["signed", "curated"] as const)("trust mode %s", (mode) => {
  it.each(Object.keys(expected) as Array<Variant>)("%s plugin", async (variant) => {
    const { dir, manifest, revoked } = scenario(variant)
    const catalog = {
      catalogVersion: 1,
      entries: [
        {
          name: manifest.name,
          version: manifest.version,
          checksum: manifest.checksum,
          permissions: ["tools.register", "secrets.read:DB_PASSWORD"]
        }
      ]
    }
    const trust = policy({ trusted: [publisher], revoked, mode, ...(mode === "curated" ? { catalog } : {}) })
    const { host, recorder, installDir } = hostFor(trust)
    const exit = await Effect.runPromiseExit(host.install({ kind: "directory", path: dir }))
    const [entry] = recorder.entries
    expect(recorder.entries).toHaveLength(1)
    expect(Result.isSuccess(decodeUnknown(PolicyDecisionTraceV1, "decision")(entry!.decision))).toBe(true)
    expect(entry!.decision.action).toBe("plugin.install")
    if (expected[variant] === "installed") {
      expect(exit._tag).toBe("Success")
      expect(entry!.decision.effect).toBe("allow")
      expect(entry!.decision.decidingRule?.ruleId).toBe(`plugins.trust.${mode}`)
      expect(existsSync(join(installDir, "%40acme%2Fecho@1.0.0", "package", "index.mjs"))).toBe(true)
    } else {
      expect(exit._tag).toBe("Failure")
      const error = (exit as unknown as { cause: { reasons: Array<{ error: PluginError }> } }).cause
        .reasons[0]!.error
      expect(error.reason).toBe(expected[variant])
      expect(entry!.decision.effect).toBe("deny")
      expect(entry!.event.outcome).toBe("denied")
      expect(entry!.event.reason).toBe(expected[variant])
      expect(entry!.decision.rationale).toBe(error.message)
      expectNothingInstalled(installDir)
    }
  })
})

describe("trust rules beyond the matrix", () => {
  const install = async (trust: TrustPolicy, dir: string) => {
    const { host, installDir, recorder } = hostFor(trust)
    const exit = await Effect.runPromiseExit(host.install({ kind: "directory", path: dir }))
    const error =
      exit._tag === "Failure"
        ? (exit as unknown as { cause: { reasons: Array<{ error: PluginError }> } }).cause.reasons[0]!.error
        : undefined
    return { error, installDir, recorder }
  }

  it("refuses contents changed after signing (checksum mismatch)", async () => {
    const dir = signedPlugin(publisher)
    writeFileSync(join(dir, "index.mjs"), "export default { activate() { /* trojan */ } }")
    const { error, installDir } = await install(policy({ trusted: [publisher] }), dir)
    expect(error?.reason).toBe("checksum-mismatch")
    expect(error?.message).toContain("files were changed, added or removed after signing")
    expectNothingInstalled(installDir)
  })

  it("refuses a file added after signing", async () => {
    const dir = signedPlugin(publisher)
    writeFileSync(join(dir, "extra.mjs"), "1")
    expect((await install(policy({ trusted: [publisher] }), dir)).error?.reason).toBe("checksum-mismatch")
  })

  it("never trusts a key the manifest itself carries: re-signing with an own key is untrusted", async () => {
    const dir = signedPlugin(publisher)
    const path = join(dir, "bga-plugin.json")
    const manifest = JSON.parse(readFileSync(path, "utf8"))
    manifest.publisher.keyId = stranger.keyId
    manifest.permissions.push("kv.write")
    writeFileSync(path, JSON.stringify(signDocument(manifest, stranger.privateKey, stranger.keyId)))
    expect((await install(policy({ trusted: [publisher] }), dir)).error?.reason).toBe("untrusted-key")
  })

  it("refuses a signature whose key id differs from the publisher's", async () => {
    const dir = signedPlugin(publisher)
    const path = join(dir, "bga-plugin.json")
    const manifest = JSON.parse(readFileSync(path, "utf8"))
    writeFileSync(path, JSON.stringify(signDocument(manifest, stranger.privateKey, stranger.keyId)))
    const { error } = await install(policy({ trusted: [publisher, stranger] }), dir)
    expect(error?.reason).toBe("key-mismatch")
  })

  it("refuses a valid-looking signature made by another key under the trusted id", async () => {
    const dir = signedPlugin(publisher)
    const path = join(dir, "bga-plugin.json")
    const manifest = JSON.parse(readFileSync(path, "utf8"))
    writeFileSync(path, JSON.stringify(signDocument(manifest, stranger.privateKey, publisher.keyId)))
    expect((await install(policy({ trusted: [publisher] }), dir)).error?.reason).toBe("bad-signature")
  })

  it("revokes by fingerprint too, so a revoked key listed under a new id stays revoked", async () => {
    const dir = signedPlugin(publisher)
    const trust = policy({ trusted: [publisher], revoked: [publisher.keyId] })
    expect((await install(trust, dir)).error?.reason).toBe("revoked-key")
  })

  it("refuses a plugin built for another SDK major", async () => {
    const dir = signedPlugin(publisher, { sdkVersion: "^2.0.0" })
    expect((await install(policy({ trusted: [publisher] }), dir)).error?.reason).toBe("incompatible-sdk")
  })

  it("refuses a package.json naming another package", async () => {
    const dir = signedPlugin(publisher, { files: { "index.mjs": "export default {activate(){}}" } })
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "@evil/other", version: "1.0.0" }))
    // package.json is covered by the checksum, so re-sign to reach the package.json rule.
    Result.getOrThrow(signPackage(dir, publisher.privateKey, publisher.keyId))
    expect((await install(policy({ trusted: [publisher] }), dir)).error?.reason).toBe("package-mismatch")
  })

  describe("curated mode", () => {
    const entryFor = (dir: string, patch: Record<string, unknown> = {}) => {
      const m = JSON.parse(readFileSync(join(dir, "bga-plugin.json"), "utf8"))
      return { name: m.name, version: m.version, checksum: m.checksum, permissions: m.permissions, ...patch }
    }

    it("refuses a signed plugin missing from the catalog", async () => {
      const dir = signedPlugin(publisher)
      const trust = policy({
        trusted: [publisher],
        mode: "curated",
        catalog: { catalogVersion: 1, entries: [entryFor(dir, { version: "0.9.0" })] }
      })
      const { error } = await install(trust, dir)
      expect(error?.reason).toBe("not-in-catalog")
      expect(error?.message).toContain(
        `${pluginRef({ name: "@acme/echo", version: "1.0.0" })} is not in the curated catalog`
      )
    })

    it("refuses a release whose checksum differs from the catalog's", async () => {
      const dir = signedPlugin(publisher)
      const trust = policy({
        trusted: [publisher],
        mode: "curated",
        catalog: { catalogVersion: 1, entries: [entryFor(dir, { checksum: `sha256:${"1".repeat(64)}` })] }
      })
      expect((await install(trust, dir)).error?.reason).toBe("catalog-mismatch")
    })

    it("refuses permissions beyond those the curator approved", async () => {
      const dir = signedPlugin(publisher, { permissions: ["tools.register", "kv.write"] })
      const trust = policy({
        trusted: [publisher],
        mode: "curated",
        catalog: { catalogVersion: 1, entries: [entryFor(dir, { permissions: ["tools.register"] })] }
      })
      const { error } = await install(trust, dir)
      expect(error?.reason).toBe("catalog-mismatch")
      expect(error?.detail).toContain("kv.write")
    })

    it.each([
      ["unsigned", (text: string) => JSON.stringify({ ...JSON.parse(text), signature: undefined })],
      [
        "altered after signing",
        (text: string) => {
          const c = JSON.parse(text)
          c.entries.push({ ...c.entries[0], version: "6.6.6" })
          return JSON.stringify(c)
        }
      ],
      [
        "with a duplicated key",
        (text: string) => text.replace('"catalogVersion":1', '"catalogVersion":1,"catalogVersion":1')
      ]
    ])("refuses to start with a catalog %s", async (_case, spoil) => {
      const dir = signedPlugin(publisher)
      const catalogKey = newKey()
      const good = JSON.stringify(
        Result.getOrThrow(
          signCatalog(
            { catalogVersion: 1, entries: [entryFor(dir)] },
            catalogKey.privateKey,
            catalogKey.keyId
          )
        )
      )
      expect(() =>
        policy({ trusted: [publisher], mode: "curated", catalogKey, catalogText: spoil(good) })
      ).toThrow(/catalog-invalid/u)
    })
  })
})
