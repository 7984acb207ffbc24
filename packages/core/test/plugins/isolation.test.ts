import { writeFileSync } from "node:fs"
import { createServer as createTcpServer, type Server } from "node:net"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type LoadedPlugin, make, makeMemoryRecorder, type PluginError } from "../../src/plugins/index.js"
import { newKey, policy, signedPlugin, tempDir } from "./fixtures.js"
import { sandbox } from "./sandbox.js"

const probeEntry = `
import fs from "node:fs"
import net from "node:net"
import dgram from "node:dgram"
import cp from "node:child_process"
import { Worker } from "node:worker_threads"

const outcome = async (fn) => {
  try { return { ok: await fn() } } catch (e) { return { blocked: String(e?.code ?? e?.cause?.code ?? e?.message ?? e) } }
}
const connect = (options) => new Promise((resolve, reject) => {
  const socket = net.connect(options)
  socket.on("connect", () => { socket.destroy(); resolve("connected") })
  socket.on("error", reject)
})

export default {
  async activate(ctx) {
    await ctx.tools.register({
      name: "attempt",
      handler: async ({ what, port, path, file }) => {
        switch (what) {
          case "read-passwd": return outcome(() => fs.readFileSync("/etc/passwd", "utf8").slice(0, 8))
          case "read-host-file": return outcome(() => fs.readFileSync(file, "utf8"))
          case "read-own-file": return outcome(() => fs.readFileSync(new URL("./index.mjs", import.meta.url), "utf8").length > 0)
          case "write-own-folder": return outcome(() => fs.writeFileSync(new URL("./dropped.txt", import.meta.url), "x"))
          case "spawn": return outcome(() => cp.execFileSync("/bin/sh", ["-c", "echo spawned"]).toString())
          case "worker": return outcome(() => { new Worker("1", { eval: true }); return "started" })
          case "tcp-loopback": return outcome(() => connect({ host: "127.0.0.1", port }))
          case "unix-socket": return outcome(() => connect({ path }))
          case "fetch": return outcome(async () => (await fetch("http://127.0.0.1:" + port + "/")).status)
          case "udp": return outcome(() => new Promise((resolve, reject) => {
            const s = dgram.createSocket("udp4")
            s.send("x", port, "127.0.0.1", (error) => { s.close(); error ? reject(error) : resolve("sent") })
          }))
          case "env": return { ok: Object.keys(process.env).sort() }
          case "corrupt-protocol": fs.writeSync(1, "this is not a protocol message\\n"); return { ok: "written" }
          case "hang": return new Promise(() => {})
        }
        return { blocked: "unknown attempt" }
      }
    })
  }
}
`

describe.runIf(sandbox.available)(`isolated plugin sandbox (${sandbox.description})`, () => {
  const publisher = newKey()
  const recorder = makeMemoryRecorder()
  const connections = { tcp: 0, unix: 0 }
  const servers: Array<Server> = []
  let tcpPort = 0
  const unixPath = join(tempDir(), "host.sock")
  const hostFile = join(tempDir(), "host-secret.txt")
  let plugin: LoadedPlugin

  const attempt = (what: string, extra: Record<string, unknown> = {}) =>
    Effect.runPromise(
      plugin.invokeTool("attempt", { what, port: tcpPort, path: unixPath, file: hostFile, ...extra })
    )

  beforeAll(async () => {
    writeFileSync(hostFile, "host secret")
    const tcp = createTcpServer((s) => {
      connections.tcp++
      s.destroy()
    })
    const unix = createTcpServer((s) => {
      connections.unix++
      s.destroy()
    })
    servers.push(tcp, unix)
    await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve))
    await new Promise<void>((resolve) => unix.listen(unixPath, resolve))
    tcpPort = (tcp.address() as { port: number }).port
    const dir = signedPlugin(publisher, {
      name: "probe",
      files: { "index.mjs": probeEntry },
      tools: [{ name: "attempt", description: "tries something" }]
    })
    const host = make({ policy: policy({ trusted: [publisher] }), installDir: tempDir(), recorder })
    await Effect.runPromise(host.install({ kind: "directory", path: dir }))
    plugin = await Effect.runPromise(host.load("probe@1.0.0"))
  })
  afterAll(async () => {
    await Effect.runPromise(plugin.close)
    for (const server of servers) server.close()
  })

  it("runs isolated and can read its own files", async () => {
    expect(plugin.isolation).toBe("isolated")
    expect(await attempt("read-own-file")).toEqual({ ok: true })
  })

  it("cannot read /etc/passwd", async () => {
    expect(await attempt("read-passwd")).toEqual({ blocked: "ERR_ACCESS_DENIED" })
  })

  it("cannot read any other host file", async () => {
    expect(await attempt("read-host-file")).toEqual({ blocked: "ERR_ACCESS_DENIED" })
  })

  it("cannot write, even into its own folder", async () => {
    expect(await attempt("write-own-folder")).toEqual({ blocked: "ERR_ACCESS_DENIED" })
  })

  it("cannot spawn a process", async () => {
    expect(await attempt("spawn")).toEqual({ blocked: "ERR_ACCESS_DENIED" })
  })

  it("cannot start a worker", async () => {
    expect(await attempt("worker")).toEqual({ blocked: "ERR_ACCESS_DENIED" })
  })

  it("cannot open a TCP socket, even to loopback where a server listens", async () => {
    const result = (await attempt("tcp-loopback")) as { blocked?: string }
    expect(result.blocked).toMatch(/^(ENETUNREACH|ECONNREFUSED)$/u)
    expect(connections.tcp).toBe(0)
  })

  it("cannot reach the host's loopback through fetch either", async () => {
    expect(await attempt("fetch")).toHaveProperty("blocked")
    expect(connections.tcp).toBe(0)
  })

  it("cannot send UDP", async () => {
    expect(await attempt("udp")).toHaveProperty("blocked")
  })

  it("cannot connect to a host Unix socket (not covered by Node's permission model)", async () => {
    expect(await attempt("unix-socket")).toHaveProperty("blocked")
    expect(connections.unix).toBe(0)
  })

  it("sees no host environment", async () => {
    expect(await attempt("env")).toEqual({ ok: ["PATH"] })
  })

  it("times a hanging tool call out with a specific error", async () => {
    const direct = await Effect.runPromiseExit(
      plugin.invokeTool("attempt", { what: "hang" }, { timeoutMs: 200 }).pipe(Effect.flip)
    )
    expect(direct._tag === "Success" ? (direct.value as PluginError).reason : undefined).toBe("timeout")
  })

  it("is stopped when it breaks the protocol, and further calls fail as crashed", async () => {
    const corrupt = await Effect.runPromiseExit(
      plugin.invokeTool("attempt", { what: "corrupt-protocol" }).pipe(Effect.flip)
    )
    expect(corrupt._tag === "Success" ? (corrupt.value as PluginError).reason : undefined).toBe(
      "plugin-crashed"
    )
    expect(corrupt._tag === "Success" ? (corrupt.value as PluginError).detail : "").toContain(
      "protocol violation"
    )
    const after = await Effect.runPromiseExit(plugin.invokeTool("attempt", { what: "env" }).pipe(Effect.flip))
    expect(after._tag === "Success" ? (after.value as PluginError).reason : undefined).toBe("plugin-crashed")
  })
})
