import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { type CliIo, runCli } from "../src/index.js"

const temps: Array<string> = []
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
})

/** Runs `bga` in a fresh working folder, capturing what it prints. */
const bga = async (cwd: string, ...args: Array<string>) => {
  const out: Array<string> = []
  const err: Array<string> = []
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd }
  const code = await runCli(args, io)
  return { code, out: out.join("\n"), err: err.join("\n"), json: () => JSON.parse(out.join("\n")) }
}

const workspace = () => {
  const cwd = mkdtempSync(join(tmpdir(), "bga-cli-"))
  temps.push(cwd)
  cpSync(
    join(import.meta.dirname, "..", "..", "..", "examples", "plugin-author", "plugin"),
    join(cwd, "plugin"),
    {
      recursive: true
    }
  )
  return cwd
}

describe("bga plugin", () => {
  it("keygen writes a private key only its owner can read, and the public key for the keyring", async () => {
    const cwd = workspace()
    const result = await bga(cwd, "plugin", "keygen", "--out", "keys", "--name", "acme")
    expect(result.code).toBe(0)
    const { keyId, publicKey } = result.json()
    expect(keyId).toMatch(/^ed25519:[0-9a-f]{32}$/u)
    expect(JSON.parse(readFileSync(join(cwd, "keys", "acme.public.json"), "utf8"))).toEqual({
      keyId,
      publicKey
    })
    expect(statSync(join(cwd, "keys", "acme.private.pem")).mode & 0o777).toBe(0o600)
    expect((await bga(cwd, "plugin", "keygen", "--out", "keys", "--name", "acme")).code).toBe(1)
  })

  it("sign, verify and install: the publisher's and the operator's steps end to end", async () => {
    const cwd = workspace()
    const { keyId, publicKey } = (await bga(cwd, "plugin", "keygen", "--out", "keys")).json()
    const manifestPath = join(cwd, "plugin", "bga-plugin.json")
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"))
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, publisher: { ...manifest.publisher, keyId } }))

    const signed = await bga(cwd, "plugin", "sign", "plugin", "--key", "keys/publisher.private.pem")
    expect(signed.code).toBe(0)
    expect(signed.json()).toMatchObject({ plugin: "@acme/hello-tools@1.0.0", keyId })

    // An operator who has not trusted the key yet: refused, with the reason.
    const untrusted = await bga(cwd, "plugin", "verify", "plugin")
    expect(untrusted.code).toBe(1)
    expect(untrusted.err).toContain("(untrusted-key): signing key")

    writeFileSync(
      join(cwd, "bga.config.json"),
      JSON.stringify({ plugins: { trustedKeys: [{ keyId, publicKey }], installDir: "installed" } })
    )
    const verified = await bga(cwd, "plugin", "verify", "plugin")
    expect(verified.code).toBe(0)
    expect(verified.json()).toMatchObject({
      trusted: true,
      trustMode: "signed",
      keyId,
      isolation: "isolated"
    })

    const installed = await bga(cwd, "plugin", "install", "plugin", "--audit-file", "audit.jsonl")
    expect(installed.code).toBe(0)
    expect(installed.json().plugin).toBe("@acme/hello-tools@1.0.0")
    expect(existsSync(join(cwd, "installed", "%40acme%2Fhello-tools@1.0.0", "package", "index.js"))).toBe(
      true
    )
    const [line] = readFileSync(join(cwd, "audit.jsonl"), "utf8").trim().split("\n")
    expect(JSON.parse(line!).decision).toMatchObject({ action: "plugin.install", effect: "allow" })

    // Tampering after signing: refused with the exact reason, nothing installed, decision kept.
    writeFileSync(join(cwd, "plugin", "tools.js"), "export const greet = () => 'pwned'\n")
    const tampered = await bga(cwd, "plugin", "install", "plugin", "--replace", "--audit-file", "audit.jsonl")
    expect(tampered.code).toBe(1)
    expect(tampered.err).toContain("(checksum-mismatch)")
    const lines = readFileSync(join(cwd, "audit.jsonl"), "utf8").trim().split("\n")
    expect(JSON.parse(lines.at(-1)!).event).toMatchObject({ outcome: "denied", reason: "checksum-mismatch" })
    expect(
      readFileSync(join(cwd, "installed", "%40acme%2Fhello-tools@1.0.0", "package", "tools.js"), "utf8")
    ).not.toContain("pwned")
  })

  it("refuses to sign with a key other than the publisher's", async () => {
    const cwd = workspace()
    await bga(cwd, "plugin", "keygen", "--out", "keys")
    const result = await bga(cwd, "plugin", "sign", "plugin", "--key", "keys/publisher.private.pem")
    expect(result.code).toBe(1)
    expect(result.err).toContain("(key-mismatch)")
  })

  it("reports a missing source and bad usage with non-zero exit codes", async () => {
    const cwd = workspace()
    expect((await bga(cwd, "plugin", "verify", "nowhere")).err).toContain("nowhere does not exist")
    expect((await bga(cwd, "plugin", "sign", "plugin")).code).toBe(2)
  })
})
