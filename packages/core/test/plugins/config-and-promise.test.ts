import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { decodeConfig } from "../../src/config/index.js"
import { makeMemoryRecorder, type PluginError, trustPolicyFromConfig } from "../../src/plugins/index.js"
import { makePluginHost } from "../../src/plugins/promise.js"
import { newKey, policy, signedPlugin, tempDir } from "./fixtures.js"

describe("plugin configuration", () => {
  it("defaults to signed mode, an empty keyring and .data/plugins", () => {
    const config = Result.getOrThrow(decodeConfig({}))
    expect(config.plugins).toEqual({
      trustMode: "signed",
      trustedKeys: [],
      revokedKeyIds: [],
      installDir: ".data/plugins"
    })
    const trust = Result.getOrThrow(trustPolicyFromConfig(config.plugins))
    expect(trust.keyring.keys.size).toBe(0)
  })

  it("refuses curated mode without a catalog, saying what is missing", () => {
    const config = Result.getOrThrow(decodeConfig({ plugins: { trustMode: "curated" } }))
    const error = Result.merge(trustPolicyFromConfig(config.plugins)) as PluginError
    expect(error.reason).toBe("catalog-invalid")
    expect(error.detail).toBe("trust mode curated needs plugins.catalog (path and signingKeys)")
  })

  it("refuses a trusted key that is not an ed25519 public key", () => {
    const error = Result.merge(
      trustPolicyFromConfig({
        trustMode: "signed",
        trustedKeys: [{ keyId: "bad", publicKey: Buffer.alloc(31, 7).toString("base64") }],
        revokedKeyIds: []
      })
    ) as PluginError
    expect(error.reason).toBe("invalid-key")
  })

  it("reads the catalog settings from the configuration", () => {
    const key = newKey()
    const config = decodeConfig({
      plugins: {
        trustMode: "curated",
        catalog: { path: "catalog.json", signingKeys: [{ keyId: key.keyId, publicKey: key.publicKey }] }
      }
    })
    expect(Result.isSuccess(config)).toBe(true)
  })
})

describe("the Promise API", () => {
  it("installs, loads and calls a plugin, and rejects with the same PluginError", async () => {
    const publisher = newKey()
    const host = makePluginHost({
      policy: policy({ trusted: [publisher] }),
      installDir: tempDir(),
      recorder: makeMemoryRecorder()
    })
    const installed = await host.install({ kind: "directory", path: signedPlugin(publisher) })
    const loaded = await host
      .load(installed.ref, { isolation: "isolated" })
      .catch((error: PluginError) => error)
    if ("reason" in loaded) {
      // Without a sandbox the load is refused as isolation-unavailable, which is also the rule.
      expect(loaded.reason).toBe("isolation-unavailable")
    } else {
      expect(await loaded.invokeTool("echo", { x: 1 })).toEqual({ echoed: { x: 1 }, isolation: "isolated" })
      await loaded.close()
    }
    const refused = await host
      .install({ kind: "directory", path: signedPlugin(newKey()) })
      .catch((e: PluginError) => e)
    expect(refused).toMatchObject({ _tag: "@bga/core/PluginError", reason: "untrusted-key" })
  })
})
