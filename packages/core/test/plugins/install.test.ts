import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Result } from "effect"
import { create as createTar } from "tar"
import { describe, expect, it } from "vitest"
import {
  make,
  makeMemoryRecorder,
  type PluginError,
  type PluginGovernanceRecorder,
  type PluginSource,
  signPackage
} from "../../src/plugins/index.js"
import { newKey, policy, signedPlugin, tempDir, writePlugin } from "./fixtures.js"
import { type RawEntry, rawTar } from "./tarball.js"

const publisher = newKey()
const trust = policy({ trusted: [publisher] })

const setup = (recorder: PluginGovernanceRecorder = makeMemoryRecorder()) => {
  const installDir = tempDir()
  return { installDir, host: make({ policy: trust, installDir, recorder }) }
}
const errorOf = (exit: { _tag: string }): PluginError =>
  (exit as unknown as { cause: { reasons: Array<{ error: PluginError }> } }).cause.reasons[0]!.error
const installExit = (host: ReturnType<typeof make>, source: PluginSource, replace?: boolean) =>
  Effect.runPromiseExit(host.install(source, replace === undefined ? {} : { replace }))

const expectNothingInstalled = (installDir: string) => {
  expect(readdirSync(installDir).filter((n) => n !== ".staging")).toEqual([])
  if (existsSync(join(installDir, ".staging"))) expect(readdirSync(join(installDir, ".staging"))).toEqual([])
}

/** A signed plugin packed the way npm packs it (everything under `package/`). */
const packed = async (dir = signedPlugin(publisher)): Promise<string> => {
  const file = join(tempDir(), "plugin.tgz")
  await createTar({ gzip: true, file, cwd: dir, prefix: "package/", portable: true }, readdirSync(dir))
  return file
}
const writeTar = (entries: ReadonlyArray<RawEntry>, gzip = true): string => {
  const file = join(tempDir(), "hostile.tgz")
  writeFileSync(file, rawTar(entries, gzip))
  return file
}

describe("install from a folder", () => {
  it("installs atomically into <name>@<version>/package with a receipt", async () => {
    const { host, installDir } = setup()
    const installed = await Effect.runPromise(
      host.install({ kind: "directory", path: signedPlugin(publisher) })
    )
    expect(installed.dir).toBe(join(installDir, "%40acme%2Fecho@1.0.0"))
    expect(readdirSync(installed.dir).sort()).toEqual(["package", "receipt.json"])
    const receipt = JSON.parse(readFileSync(join(installed.dir, "receipt.json"), "utf8"))
    expect(receipt).toMatchObject({ plugin: "@acme/echo@1.0.0", keyId: publisher.keyId, trustMode: "signed" })
    expect(readdirSync(join(installDir, ".staging"))).toEqual([])
  })

  it("refuses a second install of the same release unless asked to replace it", async () => {
    const { host } = setup()
    const dir = signedPlugin(publisher)
    await Effect.runPromise(host.install({ kind: "directory", path: dir }))
    expect(errorOf(await installExit(host, { kind: "directory", path: dir })).reason).toBe(
      "already-installed"
    )
    expect((await installExit(host, { kind: "directory", path: dir }, true))._tag).toBe("Success")
  })

  it("refuses a folder with a symlink leaving it, and installs nothing", async () => {
    const { host, installDir } = setup()
    const dir = signedPlugin(publisher)
    symlinkSync("/etc/passwd", join(dir, "passwd"))
    const error = errorOf(await installExit(host, { kind: "directory", path: dir }))
    expect(error.reason).toBe("unsafe-package")
    expect(error.detail).toContain("symlink passwd -> /etc/passwd leaves the plugin folder")
    expectNothingInstalled(installDir)
  })

  it("fails closed when the decision cannot be recorded: nothing is installed", async () => {
    const failing: PluginGovernanceRecorder = { record: () => Effect.fail(new Error("audit log down")) }
    const { host, installDir } = setup(failing)
    const error = errorOf(await installExit(host, { kind: "directory", path: signedPlugin(publisher) }))
    expect(error.reason).toBe("governance-failed")
    expectNothingInstalled(installDir)
  })
})

describe("install from a tarball", () => {
  it("installs an npm-style tarball (entries under package/)", async () => {
    const { host } = setup()
    const installed = await Effect.runPromise(host.install({ kind: "tarball", path: await packed() }))
    expect(existsSync(join(installed.packageDir, "index.mjs"))).toBe(true)
  })

  const file = (path: string, content = "x"): RawEntry => ({ path, content })
  it.each<[string, ReadonlyArray<RawEntry>, string]>([
    [
      "path traversal",
      [file("package/bga-plugin.json"), file("package/../../evil.js")],
      "climbs out of the package"
    ],
    ["an absolute path", [file("/etc/cron.d/evil")], "has an absolute path"],
    [
      "a symlink leaving the folder",
      [{ path: "package/l", type: "2", linkpath: "../../../etc/passwd" }],
      "leaves the plugin folder"
    ],
    [
      "an absolute symlink",
      [{ path: "package/l", type: "2", linkpath: "/etc/passwd" }],
      "leaves the plugin folder"
    ],
    [
      "a hard link",
      [file("package/a"), { path: "package/b", type: "1", linkpath: "/etc/passwd" }],
      "hard links are refused"
    ],
    ["a character device", [{ path: "package/tty", type: "3" }], "is a CharacterDevice"],
    ["a FIFO", [{ path: "package/fifo", type: "6" }], "is a FIFO"],
    ["a huge entry", [{ path: "package/big.bin", claimedSize: 512 * 1024 * 1024 }], "over the limit"],
    ["a repeated entry", [file("package/a"), file("package/a")], "appears twice"],
    ["a backslash path", [file("package\\..\\evil")], "backslash"]
  ])("refuses %s, naming it, and installs nothing", async (_case, entries, detail) => {
    const { host, installDir } = setup()
    const error = errorOf(await installExit(host, { kind: "tarball", path: writeTar(entries) }))
    expect(error.reason).toBe("unsafe-archive")
    expect(error.detail).toContain(detail)
    expectNothingInstalled(installDir)
    expect(existsSync(join(installDir, "..", "evil.js"))).toBe(false)
  })

  it("refuses a signed package that ships node_modules: dependency code outside the signature", async () => {
    const dir = signedPlugin(publisher)
    // Added after signing: the checksum leaves node_modules out, so only this refusal stops it.
    const planted = join(dir, "node_modules", "left-pad")
    mkdirSync(planted, { recursive: true })
    writeFileSync(
      join(planted, "package.json"),
      JSON.stringify({ name: "left-pad", version: "1.3.0", main: "index.js" })
    )
    writeFileSync(join(planted, "index.js"), "module.exports = () => 'EVIL'")
    const { host, installDir } = setup()
    const error = errorOf(await installExit(host, { kind: "tarball", path: await packed(dir) }))
    expect(error.reason).toBe("unsafe-archive")
    expect(error.detail).toContain("node_modules")
    expectNothingInstalled(installDir)
    const verified = await Effect.runPromiseExit(host.verify({ kind: "tarball", path: await packed(dir) }))
    expect(errorOf(verified).reason).toBe("unsafe-archive")
  })

  it("refuses a decompression bomb", async () => {
    const { host, installDir } = setup()
    const bomb = writeTar([{ path: "package/zeros", content: Buffer.alloc(64 * 1024 * 1024) }])
    const error = errorOf(await installExit(host, { kind: "tarball", path: bomb }))
    expect(error.reason).toBe("unsafe-archive")
    expectNothingInstalled(installDir)
  })

  it("refuses bytes that are not a tarball", async () => {
    const { host } = setup()
    const path = join(tempDir(), "junk.tgz")
    writeFileSync(path, "definitely not a tarball".repeat(100))
    expect(errorOf(await installExit(host, { kind: "tarball", path })).reason).toBe("unsafe-archive")
  })

  it("refuses a tarball without a manifest", async () => {
    const { host } = setup()
    const error = errorOf(
      await installExit(host, { kind: "tarball", path: writeTar([file("a.js"), file("b.js")]) })
    )
    expect(error.reason).toBe("manifest-missing")
  })
})

describe("install through npm", () => {
  const npmAvailable = (() => {
    try {
      execFileSync("npm", ["--version"], { stdio: "ignore" })
      return true
    } catch {
      return false
    }
  })()
  if (!npmAvailable && process.env.BGA_TEST_REQUIRE)
    throw new Error("npm is required (BGA_TEST_REQUIRE is set)")

  const npmPackTo = (what: string): string => {
    const dest = tempDir()
    const out = execFileSync(
      "npm",
      ["pack", what, "--pack-destination", dest, "--json", "--ignore-scripts"],
      {
        encoding: "utf8"
      }
    )
    return join(dest, JSON.parse(out)[0].filename)
  }

  it.runIf(npmAvailable)(
    "packs the spec, verifies it, then installs its dependencies without running any script",
    async () => {
      // A dependency whose install script would leave a marker if npm ran it.
      const depDir = tempDir()
      const marker = join(tempDir(), "install-script-ran")
      writeFileSync(
        join(depDir, "package.json"),
        JSON.stringify({
          name: "bga-test-dep",
          version: "1.0.0",
          type: "module",
          main: "index.js",
          scripts: { install: `node -e "require('fs').writeFileSync('${marker}','x')"` }
        })
      )
      writeFileSync(join(depDir, "index.js"), "export const shout = (s) => s.toUpperCase()\n")
      const dir = join(tempDir(), "pkg")
      writePlugin(dir, publisher, {
        files: {
          "index.mjs": `import { shout } from "bga-test-dep"
export default { async activate(ctx) {
  await ctx.tools.register({ name: "echo", handler: async (args) => shout(String(args.text)) })
} }
`
        }
      })
      writeFileSync(
        join(dir, "package.json"),
        JSON.stringify({
          name: "@acme/echo",
          version: "1.0.0",
          type: "module",
          dependencies: { "bga-test-dep": `file:${npmPackTo(depDir)}` }
        })
      )
      Result.getOrThrow(signPackage(dir, publisher.privateKey, publisher.keyId))
      const { host } = setup()
      const installed = await Effect.runPromise(host.install({ kind: "npm", spec: npmPackTo(dir) }))
      expect(existsSync(join(installed.packageDir, "node_modules", "bga-test-dep", "index.js"))).toBe(true)
      expect(existsSync(marker), "an install script ran").toBe(false)
      expect(installed.receipt.dependencies).toMatch(/^sha256:[0-9a-f]{64}$/u)
      const loaded = await Effect.runPromise(
        host.load(installed.ref, { isolation: "isolated" }).pipe(Effect.orDie)
      )
      try {
        expect(await Effect.runPromise(loaded.invokeTool("echo", { text: "hello" }))).toBe("HELLO")
      } finally {
        await Effect.runPromise(loaded.close)
      }
    },
    60_000
  )

  it.runIf(npmAvailable)(
    "refuses an npm package whose manifest does not verify, installing nothing",
    async () => {
      const dir = signedPlugin(newKey())
      const { host, installDir } = setup()
      const error = errorOf(await installExit(host, { kind: "npm", spec: npmPackTo(dir) }))
      expect(error.reason).toBe("untrusted-key")
      expectNothingInstalled(installDir)
    }
  )

  it("refuses an npm spec that looks like an option", async () => {
    const { host } = setup()
    expect(errorOf(await installExit(host, { kind: "npm", spec: "--registry=http://evil" })).reason).toBe(
      "install-failed"
    )
  })
})
