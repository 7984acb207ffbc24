import type { KeyObject } from "node:crypto"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { Result } from "effect"
import { afterAll } from "vitest"
import {
  generateSigningKey,
  parsePrivateKey,
  signCatalog,
  signPackage,
  type TrustPolicy,
  trustPolicyFromConfig
} from "../../src/plugins/index.js"

const made: Array<string> = []
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true })
})

/** A temporary folder removed after the test file. */
export const tempDir = (prefix = "bga-plugins-test-"): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** A publisher key pair with the private key parsed. */
export interface TestKey {
  readonly keyId: string
  readonly publicKey: string
  readonly privateKeyPem: string
  readonly privateKey: KeyObject
}

export const newKey = (): TestKey => {
  const key = generateSigningKey()
  return { ...key, privateKey: Result.getOrThrow(parsePrivateKey(key.privateKeyPem)) }
}

/** A plugin entry with one tool, `echo`, which returns its arguments and its isolation level. */
export const echoEntry = `
export default {
  async activate(ctx) {
    await ctx.tools.register({
      name: "echo",
      description: "returns its arguments",
      handler: async (args) => ({ echoed: args, isolation: ctx.plugin.isolation })
    })
  }
}
`

export interface PluginSpec {
  readonly name?: string
  readonly version?: string
  readonly permissions?: ReadonlyArray<string>
  readonly tools?: ReadonlyArray<{ name: string; description: string }>
  readonly files?: Readonly<Record<string, string>>
  readonly entry?: string
  readonly sdkVersion?: string
}

/** Writes an unsigned plugin package (draft manifest without checksum) into `dir`. */
export const writePlugin = (dir: string, key: { keyId: string }, spec: PluginSpec = {}): string => {
  const name = spec.name ?? "@acme/echo"
  const version = spec.version ?? "1.0.0"
  const files = spec.files ?? { "index.mjs": echoEntry }
  mkdirSync(dir, { recursive: true })
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version, type: "module" }))
  writeFileSync(
    join(dir, "bga-plugin.json"),
    JSON.stringify(
      {
        manifestVersion: 2,
        name,
        version,
        publisher: { name: "Acme", keyId: key.keyId },
        entry: spec.entry ?? "index.mjs",
        permissions: spec.permissions ?? ["tools.register"],
        tools: spec.tools ?? [{ name: "echo", description: "returns its arguments" }],
        checksum: `sha256:${"0".repeat(64)}`,
        sdkVersion: spec.sdkVersion ?? "^0.1.0"
      },
      null,
      2
    )
  )
  return dir
}

/** Writes and signs a plugin package; returns its folder. */
export const signedPlugin = (key: TestKey, spec: PluginSpec = {}, dir = join(tempDir(), "pkg")): string => {
  writePlugin(dir, key, spec)
  Result.getOrThrow(signPackage(dir, key.privateKey, key.keyId))
  return dir
}

/** A trust policy from config-shaped settings; `catalog` (when given) is signed by `catalogKey`. */
export const policy = (options: {
  readonly trusted?: ReadonlyArray<TestKey>
  readonly revoked?: ReadonlyArray<string>
  readonly mode?: "signed" | "curated"
  readonly catalog?: unknown
  readonly catalogKey?: TestKey
  readonly catalogText?: string
}): TrustPolicy => {
  const catalogKey = options.catalogKey ?? newKey()
  const catalogText =
    options.catalogText ??
    (options.catalog === undefined
      ? undefined
      : JSON.stringify(
          Result.getOrThrow(signCatalog(options.catalog, catalogKey.privateKey, catalogKey.keyId))
        ))
  return Result.getOrThrow(
    trustPolicyFromConfig(
      {
        trustMode: options.mode ?? "signed",
        trustedKeys: (options.trusted ?? []).map((k) => ({ keyId: k.keyId, publicKey: k.publicKey })),
        revokedKeyIds: options.revoked ?? [],
        ...(catalogText === undefined
          ? {}
          : {
              catalog: {
                path: "catalog.json",
                signingKeys: [{ keyId: catalogKey.keyId, publicKey: catalogKey.publicKey }]
              }
            })
      },
      { readFile: () => catalogText ?? "" }
    )
  )
}
