import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type PluginError, parseManifest } from "../../src/plugins/index.js"

const valid = {
  manifestVersion: 2,
  name: "@acme/crm-tools",
  version: "1.2.3",
  publisher: { name: "Acme", keyId: "acme-2026" },
  entry: "dist/index.js",
  permissions: ["tools.register", "egress.fetch:api.acme.com", "secrets.read:CRM_TOKEN"],
  tools: [{ name: "lookup", description: "Looks up a customer" }],
  checksum: `sha256:${"a".repeat(64)}`,
  sdkVersion: "^0.1.0",
  signature: { algorithm: "ed25519", keyId: "acme-2026", value: `${"A".repeat(86)}==` }
}

const failure = (text: string): PluginError => {
  const result = parseManifest(text)
  expect(Result.isFailure(result), "expected the manifest to be refused").toBe(true)
  return Result.merge(result) as PluginError
}
const withField = (patch: Record<string, unknown>) => JSON.stringify({ ...valid, ...patch })
const paths = (error: PluginError) => (error.problems ?? []).map((p) => p.path)

describe("manifest v2 parsing", () => {
  it("accepts a complete manifest", () => {
    expect(Result.getOrThrow(parseManifest(JSON.stringify(valid))).name).toBe("@acme/crm-tools")
  })

  it("rejects a duplicated key, which JSON.parse would silently resolve to the last value", () => {
    const text = JSON.stringify(valid).replace('"permissions":', '"permissions":["kv.read"],"permissions":')
    expect(JSON.parse(text).permissions).toContain("tools.register")
    const error = failure(text)
    expect(error.reason).toBe("duplicate-key")
    expect(paths(error)).toEqual(["$.permissions"])
  })

  it("rejects a duplicated key in a nested object, naming its path", () => {
    const text = JSON.stringify(valid).replace(
      '"publisher":{"name":"Acme",',
      '"publisher":{"name":"Acme","name":"Evil",'
    )
    expect(paths(failure(text))).toEqual(["$.publisher.name"])
  })

  it("keeps __proto__ harmless: refused as a key, and the prototype is never touched", () => {
    const error = failure(JSON.stringify(valid).replace("{", '{"__proto__":{"polluted":true},'))
    expect(error.reason).toBe("invalid-manifest")
    expect(error.message).toContain("__proto__")
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it.each([
    ["wrong type", { manifestVersion: "2" }, "$.manifestVersion"],
    ["unknown version", { manifestVersion: 3 }, "$.manifestVersion"],
    ["missing field", { entry: undefined }, "$.entry"],
    ["unknown permission", { permissions: ["fs.write"] }, "$.permissions[0]"],
    ["permission with a bad host", { permissions: ["egress.fetch:evil.com/path"] }, "$.permissions[0]"],
    ["duplicate permission", { permissions: ["kv.read", "kv.read"] }, "$.permissions"],
    ["non-semver version", { version: "v1.0" }, "$.version"],
    ["name that climbs paths", { name: "../../etc" }, "$.name"],
    ["name with a double dot", { name: "@acme/a..b" }, "$.name"],
    ["entry outside the package", { entry: "../index.js" }, "$.entry"],
    ["absolute entry", { entry: "/etc/passwd" }, "$.entry"],
    ["malformed checksum", { checksum: "md5:abc" }, "$.checksum"],
    ["short signature", { signature: { ...valid.signature, value: "AAAA" } }, "$.signature.value"],
    [
      "signature that is not base64",
      { signature: { ...valid.signature, value: `${"!".repeat(86)}==` } },
      "$.signature.value"
    ],
    [
      "other signature algorithm",
      { signature: { ...valid.signature, algorithm: "rsa" } },
      "$.signature.algorithm"
    ],
    ["unknown key", { extra: 1 }, "$.extra"],
    ["duplicate tool", { tools: [valid.tools[0], valid.tools[0]] }, "$.tools"]
  ])("rejects a %s, naming %s", (_case, patch, path) => {
    const error = failure(withField(patch))
    expect(error.reason).toBe("invalid-manifest")
    expect(paths(error)).toContain(path)
  })

  it("rejects text over the size limit before parsing it", () => {
    const error = failure(withField({ description: "x".repeat(70 * 1024) }))
    expect(error.message).toContain("exceeds the limit")
  })

  it("rejects nesting beyond the depth limit", () => {
    expect(failure(`${"[".repeat(100)}${"]".repeat(100)}`).message).toContain("depth limit")
  })

  it("rejects text that is not JSON", () => {
    expect(failure("{manifestVersion: 2}").reason).toBe("invalid-manifest")
  })

  it("never throws on arbitrary text, and every failure is a PluginError", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.json({ maxDepth: 4 })), (text) => {
        const result = parseManifest(text)
        if (Result.isFailure(result)) expect(result.failure._tag).toBe("@bga/core/PluginError")
      }),
      { numRuns: 300 }
    )
  })
})
