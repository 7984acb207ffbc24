import { readFileSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import { join } from "node:path"
import { Effect, Result, type Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeUnknown } from "../../src/contracts/decode.js"
import { PolicyDecisionTraceV1 } from "../../src/contracts/PolicyDecisionTrace.js"
import {
  type IsolationLevel,
  type LoadedPlugin,
  make,
  makeMemoryRecorder,
  type PluginError
} from "../../src/plugins/index.js"
import { newKey, policy, signedPlugin, tempDir } from "./fixtures.js"
import { eventually, testProviders } from "./providers.js"
import { sandbox } from "./sandbox.js"

const capsEntry = `
export default {
  async activate(ctx) {
    await ctx.events.subscribe("orders.created", (payload) => {
      void ctx.channel.send({ text: "order " + payload.id })
    })
    await ctx.tools.register({
      name: "use",
      description: "uses one capability",
      parameters: { type: "object", properties: { what: { type: "string" } } },
      handler: async ({ what, arg }) => {
        const attempt = async (fn) => {
          try { return { ok: await fn() } } catch (e) { return { error: e.code, message: e.message } }
        }
        switch (what) {
          case "fetch": return attempt(async () => {
            const r = await ctx.egress.fetch(arg, { method: "POST", body: "ping" })
            return { status: r.status, body: r.body }
          })
          case "kv": return attempt(async () => {
            await ctx.kv.set("greeting", { text: arg })
            const value = await ctx.kv.get("greeting")
            const keys = await ctx.kv.list("gr")
            const deleted = await ctx.kv.delete("greeting")
            return { value, keys, deleted, after: (await ctx.kv.get("greeting")) ?? null }
          })
          case "kv-write": return attempt(() => ctx.kv.set("k", 1))
          case "secret": return attempt(() => ctx.secrets.read(arg))
          case "send": return attempt(async () => { await ctx.channel.send({ text: arg }); return "sent" })
          case "exec": return attempt(() => ctx.sandbox.exec({ command: arg }))
          case "register-undeclared": return attempt(() => ctx.tools.register({ name: "sneaky", handler: () => 1 }))
        }
      }
    })
  }
}
`
const allPermissions = [
  "tools.register",
  "egress.fetch:127.0.0.1",
  "kv.read",
  "kv.write",
  "secrets.read:API_TOKEN",
  "channel.send",
  "events.subscribe",
  "sandbox.exec"
]
const useTool = [{ name: "use", description: "uses one capability" }]

let server: Server
let port = 0
const requests: Array<string> = []
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ""
    req.on("data", (c) => (body += c))
    req.on("end", () => {
      requests.push(`${req.method} ${body}`)
      res.end(`pong:${body}`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  port = (server.address() as { port: number }).port
})
afterAll(() => server.close())

const levels: Array<IsolationLevel> = sandbox.available ? ["isolated", "in-process"] : ["in-process"]

describe.each(levels)("a %s plugin", (isolation) => {
  const publisher = newKey()
  const recorder = makeMemoryRecorder()
  const { providers, sent, bus, kv } = testProviders()
  let plugin: LoadedPlugin
  const use = async (what: string, arg?: unknown) =>
    (await Effect.runPromise(
      plugin.invokeTool("use", { what, ...(arg === undefined ? {} : { arg }) } as Schema.Json)
    )) as {
      ok?: unknown
      error?: string
      message?: string
    }

  beforeAll(async () => {
    const dir = signedPlugin(publisher, {
      name: "caps",
      permissions: allPermissions,
      tools: useTool,
      files: { "index.mjs": capsEntry }
    })
    const manifest = JSON.parse(readFileSync(join(dir, "bga-plugin.json"), "utf8"))
    // In-process is only for curated first-party plugins: the catalog says so.
    const trust =
      isolation === "in-process"
        ? policy({
            trusted: [publisher],
            mode: "curated",
            catalog: {
              catalogVersion: 1,
              entries: [
                {
                  name: "caps",
                  version: "1.0.0",
                  checksum: manifest.checksum,
                  permissions: allPermissions,
                  isolation: "in-process"
                }
              ]
            }
          })
        : policy({ trusted: [publisher] })
    const host = make({
      policy: trust,
      installDir: tempDir(),
      recorder,
      providers,
      context: {
        customerInstanceId: "acme",
        environment: "production",
        actor: { kind: "system", id: "test", roles: [] }
      }
    })
    await Effect.runPromise(host.install({ kind: "directory", path: dir }))
    plugin = await Effect.runPromise(host.load("caps@1.0.0", { isolation }))
  })
  afterAll(() => Effect.runPromise(plugin.close))

  it("registers its declared tool, namespaced by the plugin", () => {
    expect(plugin.isolation).toBe(isolation)
    expect(plugin.tools().map((t) => [t.qualifiedName, t.description])).toEqual([
      ["caps.use", "uses one capability"]
    ])
    expect(plugin.tools()[0]!.parameters).toEqual({
      type: "object",
      properties: { what: { type: "string" } }
    })
  })

  it("fetches a granted host through the host's egress provider", async () => {
    expect(await use("fetch", `http://127.0.0.1:${port}/hello`)).toEqual({
      ok: { status: 200, body: "pong:ping" }
    })
    expect(requests).toContain("POST ping")
  })

  it("reads and writes its own kv namespace, scoped to the customer instance", async () => {
    expect(await use("kv", "hi")).toEqual({
      ok: { value: { text: "hi" }, keys: ["greeting"], deleted: true, after: null }
    })
    expect([...kv.keys()]).toEqual([])
  })

  it("reads the secret it was granted", async () => {
    expect(await use("secret", "API_TOKEN")).toEqual({ ok: "t0ken" })
  })

  it("sends on the channel", async () => {
    expect(await use("send", "hello")).toEqual({ ok: "sent" })
    expect(sent.at(-1)).toEqual({ plugin: "caps", message: { text: "hello" } })
  })

  it("receives the events it subscribed to", async () => {
    bus.emit("orders.created", { id: 42 })
    await eventually(() => sent.some((s) => s.message.text === "order 42"))
  })

  it("runs a command through the sandbox provider", async () => {
    const result = await use("exec", [process.execPath, "-e", "process.stdout.write(String(6 * 7))"])
    expect(result).toEqual({ ok: { exitCode: 0, stdout: "42", stderr: "" } })
  })

  describe("anything beyond the signed manifest is denied and audited", () => {
    const deniedDecisions = () => recorder.entries.filter((e) => e.decision.action === "plugin.capability")

    it.each([
      [
        "egress to a host it was not granted",
        "fetch",
        "http://example.com/",
        "egress to example.com is not granted"
      ],
      ["egress to another port scheme", "fetch", "file:///etc/passwd", "egress to file: URLs is not allowed"],
      ["a secret it was not granted", "secret", "DB_PASSWORD", "secret DB_PASSWORD is not granted"],
      ["a tool it did not declare", "register-undeclared", undefined, "tool sneaky is not declared"]
    ])("%s", async (_case, what, arg, detail) => {
      const before = deniedDecisions().length
      const result = await use(what, arg)
      expect(result.error).toBe("denied")
      expect(result.message).toContain(detail)
      const decisions = deniedDecisions()
      expect(decisions).toHaveLength(before + 1)
      const { decision, event } = decisions.at(-1)!
      expect(Result.isSuccess(decodeUnknown(PolicyDecisionTraceV1, "decision")(decision))).toBe(true)
      expect(decision).toMatchObject({
        effect: "deny",
        customerInstanceId: "acme",
        action: "plugin.capability"
      })
      expect(decision.decidingRule?.ruleId).toBe("plugins.permissions")
      expect(event).toMatchObject({ outcome: "denied", reason: "permission-denied", plugin: "caps@1.0.0" })
      expect(requests.some((r) => r.includes("example"))).toBe(false)
    })
  })
})

describe.each(levels)("a %s plugin with fewer permissions", (isolation) => {
  it("is denied a capability family it was not granted, and the denial is audited", async () => {
    const publisher = newKey()
    const recorder = makeMemoryRecorder()
    const dir = signedPlugin(publisher, {
      name: "narrow",
      permissions: ["tools.register", "kv.read"],
      tools: useTool,
      files: {
        "index.mjs": capsEntry.replace(
          'await ctx.events.subscribe("orders.created", (payload) => {\n      void ctx.channel.send({ text: "order " + payload.id })\n    })',
          ""
        )
      }
    })
    const manifest = JSON.parse(readFileSync(join(dir, "bga-plugin.json"), "utf8"))
    const trust =
      isolation === "in-process"
        ? policy({
            trusted: [publisher],
            mode: "curated",
            catalog: {
              catalogVersion: 1,
              entries: [
                {
                  name: "narrow",
                  version: "1.0.0",
                  checksum: manifest.checksum,
                  permissions: manifest.permissions,
                  isolation: "in-process"
                }
              ]
            }
          })
        : policy({ trusted: [publisher] })
    const host = make({
      policy: trust,
      installDir: tempDir(),
      recorder,
      providers: testProviders().providers
    })
    await Effect.runPromise(host.install({ kind: "directory", path: dir }))
    const plugin = await Effect.runPromise(host.load("narrow@1.0.0", { isolation }))
    try {
      const result = (await Effect.runPromise(plugin.invokeTool("use", { what: "kv-write" }))) as Record<
        string,
        string
      >
      expect(result).toEqual({
        error: "denied",
        message: "kv.set needs the kv.write permission, which the signed manifest does not grant"
      })
      expect(recorder.entries.at(-1)?.event).toMatchObject({ type: "plugin.capability", outcome: "denied" })
      expect(plugin.capabilities.denials).toBe(1)
    } finally {
      await Effect.runPromise(plugin.close)
    }
  })
})

describe("load-time checks", () => {
  const publisher = newKey()
  const installed = async () => {
    const installDir = tempDir()
    const recorder = makeMemoryRecorder()
    const host = make({ policy: policy({ trusted: [publisher] }), installDir, recorder })
    const plugin = await Effect.runPromise(host.install({ kind: "directory", path: signedPlugin(publisher) }))
    return { installDir, recorder, plugin, host }
  }
  const loadError = async (host: ReturnType<typeof make>, options = {}) => {
    const exit = await Effect.runPromiseExit(host.load("@acme/echo@1.0.0", options).pipe(Effect.flip))
    return exit._tag === "Success" ? (exit.value as PluginError) : undefined
  }

  it("refuses in-process loading of a plugin the curated catalog does not mark in-process", async () => {
    const { host, recorder } = await installed()
    const error = await loadError(host, { isolation: "in-process" })
    expect(error?.reason).toBe("isolation-denied")
    expect(recorder.entries.at(-1)?.decision).toMatchObject({ action: "plugin.load", effect: "deny" })
  })

  it("refuses to load a plugin whose key was revoked after it was installed", async () => {
    const { installDir } = await installed()
    const recorder = makeMemoryRecorder()
    const host = make({
      policy: policy({ trusted: [publisher], revoked: [publisher.keyId] }),
      installDir,
      recorder
    })
    expect((await loadError(host))?.reason).toBe("revoked-key")
    expect(recorder.entries.at(-1)?.event).toMatchObject({
      type: "plugin.load",
      outcome: "denied",
      reason: "revoked-key"
    })
  })

  it("refuses to load a plugin whose files changed after install", async () => {
    const { host, plugin } = await installed()
    writeFileSync(join(plugin.packageDir, "index.mjs"), "export default { activate() {} }")
    expect((await loadError(host))?.reason).toBe("checksum-mismatch")
  })

  it("refuses to load a plugin whose node_modules appeared after install", async () => {
    const { host, plugin } = await installed()
    const { mkdirSync } = await import("node:fs")
    mkdirSync(join(plugin.packageDir, "node_modules", "evil"), { recursive: true })
    writeFileSync(join(plugin.packageDir, "node_modules", "evil", "index.js"), "1")
    const error = await loadError(host)
    expect(error?.reason).toBe("checksum-mismatch")
    expect(error?.detail).toContain("node_modules changed since install")
  })

  it("refuses a plugin that is not installed", async () => {
    const { host } = await installed()
    const exit = await Effect.runPromiseExit(host.load("@acme/other@1.0.0").pipe(Effect.flip))
    expect(exit._tag === "Success" ? (exit.value as PluginError).reason : undefined).toBe("not-installed")
  })
})
