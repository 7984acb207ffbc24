import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Audit, Config, newId, Policy, Secrets, Storage, Tools } from "@bga/core"
import {
  detectSandboxLauncher,
  generateSigningKey,
  make,
  makeMemoryRecorder,
  type PluginError,
  parsePrivateKey,
  signCatalog,
  signPackage,
  toolsOf,
  trustPolicyFromConfig
} from "@bga/core/plugins"
import { StorageMemory } from "@bga/storage-memory"
import { Context, Effect, Layer, Result } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { greet, noteKey } from "../plugin/tools.js"

const root = join(import.meta.dirname, "..")
const pluginDir = join(root, "plugin")
const examplePublisher = JSON.parse(
  readFileSync(join(root, "keys", "example-publisher.public.json"), "utf8")
) as {
  keyId: string
  publicKey: string
}
const temps: Array<string> = []
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), "bga-example-plugin-"))
  temps.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
})

const launcher = await detectSandboxLauncher()
const sandboxed = !("unavailable" in launcher)
if (!sandboxed && process.env.BGA_TEST_REQUIRE)
  throw new Error(`a plugin sandbox is required: ${launcher.unavailable}`)
if (!sandboxed) console.warn(`SKIPPING the isolated run of the example plugin: ${launcher.unavailable}`)

/** The trust policy of a host that trusts the example publisher's committed public key. */
const trustingExample = Result.getOrThrow(
  trustPolicyFromConfig({ trustMode: "signed", trustedKeys: [examplePublisher], revokedKeyIds: [] })
)

describe("the example plugin's tools", () => {
  it("greets in the requested style", () => {
    expect(greet({ name: " Ada " })).toBe("Hello, Ada.")
    expect(greet({ name: "Ada", style: "excited" })).toBe("Hello, Ada!")
    expect(greet({ name: "" })).toBe("Hello, stranger.")
  })

  it("keys notes so they list in order", () => {
    expect([noteKey(10), noteKey(9)].sort()).toEqual(["note/000009", "note/000010"])
  })
})

describe("the published example plugin", () => {
  it("is signed by the example's committed public key over exactly the committed files", async () => {
    const host = make({ policy: trustingExample, installDir: temp(), recorder: makeMemoryRecorder() })
    const verified = await Effect.runPromise(host.verify({ kind: "directory", path: pluginDir }))
    expect(verified.keyId).toBe(examplePublisher.keyId)
    expect(verified.manifest.permissions).toEqual(["tools.register", "kv.read", "kv.write"])
  })

  it.runIf(sandboxed)("installs and runs isolated, its notes kept by the host's kv", async () => {
    const recorder = makeMemoryRecorder()
    const kv = new Map<string, unknown>()
    const host = make({
      policy: trustingExample,
      installDir: temp(),
      recorder,
      providers: {
        kv: {
          get: async (scope, key) => kv.get(`${scope.plugin}/${key}`) as never,
          list: async (scope, prefix) =>
            [...kv.keys()]
              .filter((k) => k.startsWith(`${scope.plugin}/${prefix}`))
              .map((k) => k.slice(scope.plugin.length + 1)),
          set: async (scope, key, value) => void kv.set(`${scope.plugin}/${key}`, value),
          delete: async (scope, key) => kv.delete(`${scope.plugin}/${key}`)
        }
      }
    })
    const installed = await Effect.runPromise(host.install({ kind: "directory", path: pluginDir }))
    const plugin = await Effect.runPromise(host.load(installed.ref))
    try {
      expect(plugin.isolation).toBe("isolated")
      expect(plugin.tools().map((t) => t.qualifiedName)).toEqual([
        "acme-hello-tools.greet",
        "acme-hello-tools.save_note",
        "acme-hello-tools.list_notes"
      ])
      expect(await Effect.runPromise(plugin.invokeTool("greet", { name: "Ada", style: "excited" }))).toBe(
        "Hello, Ada!"
      )
      await Effect.runPromise(plugin.invokeTool("save_note", { text: "first" }))
      expect(await Effect.runPromise(plugin.invokeTool("save_note", { text: "second" }))).toEqual({
        saved: 2
      })
      expect(await Effect.runPromise(plugin.invokeTool("list_notes", {}))).toEqual(["first", "second"])
      // Through the tool runtime, a plugin tool is governed like any other: decided, audited.
      const context = await Effect.runPromise(Effect.scoped(Layer.build(StorageMemory.layer)))
      const audit = Context.get(context, Audit.AuditLog)
      const config = Result.getOrThrow(Config.decodeConfig({}))
      const policy = Result.getOrThrow(
        Policy.makePolicy(
          {
            version: 1,
            deployment: {
              rules: [
                {
                  id: "allow-hello",
                  effect: "allow",
                  rationale: "the example plugin",
                  actions: "tool.invoke",
                  resource: { names: "acme-hello-tools.*" }
                }
              ]
            }
          },
          { config }
        )
      )
      const runtime = Tools.toPromise(
        Tools.make({
          registry: Tools.makeToolRegistry([], [toolsOf(plugin)]),
          config,
          policy: Policy.make(policy, { record: () => Effect.void }),
          audit,
          approvals: Context.get(context, Storage.ApprovalStore),
          secrets: Secrets.makeMemory({})
        })
      )
      const outcome = await runtime.invoke({
        customerInstanceId: "acme",
        environment: "production",
        runId: newId(),
        actor: { kind: "user", id: "u-1", roles: [] },
        toolName: "acme-hello-tools.greet",
        args: { name: "Grace" }
      })
      expect(outcome).toMatchObject({ _tag: "Succeeded", output: "Hello, Grace." })
      expect(outcome.invocation?.policyDecisionId).toBe(outcome.decision.decisionId)
      expect(recorder.entries.map((e) => `${e.decision.action}:${e.decision.effect}`)).toEqual([
        "plugin.install:allow",
        "plugin.load:allow"
      ])
    } finally {
      await Effect.runPromise(plugin.close)
    }
  })
})

describe("signing your own release (a throwaway key stands in for the publisher's)", () => {
  const key = generateSigningKey()
  const privateKey = Result.getOrThrow(parsePrivateKey(key.privateKeyPem))
  const resigned = () => {
    const dir = join(temp(), "plugin")
    cpSync(pluginDir, dir, { recursive: true })
    const manifest = JSON.parse(readFileSync(join(dir, "bga-plugin.json"), "utf8"))
    manifest.publisher.keyId = key.keyId
    writeFileSync(join(dir, "bga-plugin.json"), JSON.stringify(manifest))
    Result.getOrThrow(signPackage(dir, privateKey, key.keyId))
    return dir
  }
  const policyTrusting = (
    mode: "signed" | "curated",
    catalogText?: string,
    catalogKey = generateSigningKey()
  ) =>
    Result.getOrThrow(
      trustPolicyFromConfig(
        {
          trustMode: mode,
          trustedKeys: [{ keyId: key.keyId, publicKey: key.publicKey }],
          revokedKeyIds: [],
          ...(catalogText
            ? {
                catalog: {
                  path: "catalog.json",
                  signingKeys: [{ keyId: catalogKey.keyId, publicKey: catalogKey.publicKey }]
                }
              }
            : {})
        },
        { readFile: () => catalogText ?? "" }
      )
    )

  it("a host trusting the new key accepts the re-signed release", async () => {
    const host = make({
      policy: policyTrusting("signed"),
      installDir: temp(),
      recorder: makeMemoryRecorder()
    })
    expect((await Effect.runPromise(host.verify({ kind: "directory", path: resigned() }))).keyId).toBe(
      key.keyId
    )
  })

  it("a host trusting only the example key refuses it as untrusted", async () => {
    const host = make({ policy: trustingExample, installDir: temp(), recorder: makeMemoryRecorder() })
    const exit = await Effect.runPromiseExit(
      host.verify({ kind: "directory", path: resigned() }).pipe(Effect.flip)
    )
    expect(exit._tag === "Success" ? (exit.value as PluginError).reason : undefined).toBe("untrusted-key")
  })

  it("a curated host runs it in-process when its signed catalog says it is first-party", async () => {
    const dir = resigned()
    const checksum = JSON.parse(readFileSync(join(dir, "bga-plugin.json"), "utf8")).checksum
    const catalogKey = generateSigningKey()
    const catalog = Result.getOrThrow(
      signCatalog(
        {
          catalogVersion: 1,
          entries: [
            {
              name: "@acme/hello-tools",
              version: "1.0.0",
              checksum,
              permissions: ["tools.register", "kv.read", "kv.write"],
              isolation: "in-process"
            }
          ]
        },
        Result.getOrThrow(parsePrivateKey(catalogKey.privateKeyPem)),
        catalogKey.keyId
      )
    )
    const host = make({
      policy: policyTrusting("curated", JSON.stringify(catalog), catalogKey),
      installDir: temp(),
      recorder: makeMemoryRecorder()
    })
    const installed = await Effect.runPromise(host.install({ kind: "directory", path: dir }))
    const plugin = await Effect.runPromise(host.load(installed.ref, { isolation: "in-process" }))
    try {
      expect(plugin.isolation).toBe("in-process")
      expect(await Effect.runPromise(plugin.invokeTool("greet", { name: "Grace" }))).toBe("Hello, Grace.")
    } finally {
      await Effect.runPromise(plugin.close)
    }
  })
})
