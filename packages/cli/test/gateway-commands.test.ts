import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { type CliIo, runCli } from "../src/index.js"

const temps: Array<string> = []
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
})

const bga = async (cwd: string, ...args: Array<string>) => {
  const out: Array<string> = []
  const err: Array<string> = []
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd }
  const code = await runCli(args, io)
  return { code, out: out.join("\n"), err: err.join("\n"), json: () => JSON.parse(out.join("\n")) }
}

/** A working folder with a configuration that has a gateway section and SQLite storage. */
const workspace = () => {
  const cwd = mkdtempSync(join(tmpdir(), "bga-cli-gw-"))
  temps.push(cwd)
  writeFileSync(
    join(cwd, "bga.config.json"),
    JSON.stringify({
      storage: { kind: "sqlite", path: "data/bga.sqlite" },
      gateway: { dataDir: "data", port: 9911 }
    })
  )
  return cwd
}

describe("bga keys", () => {
  it("create prints the key once; list never shows it; revoke ends it", async () => {
    const cwd = workspace()
    const created = await bga(
      cwd,
      "keys",
      "create",
      "--instance",
      "acme",
      "--name",
      "ops console",
      "--scope",
      "runs:read",
      "--scope",
      "approvals:resolve",
      "--role",
      "approver",
      "--actor-kind",
      "user",
      "--actor-id",
      "u-7"
    )
    expect(created.code, created.err).toBe(0)
    const { token, key } = created.json()
    expect(token).toMatch(/^bga1\.acme\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/u)
    expect(key).toMatchObject({
      name: "ops console",
      scopes: ["runs:read", "approvals:resolve"],
      actor: { id: "u-7", roles: ["approver"] }
    })
    expect(created.err).toContain("only time the key is shown")
    expect(statSync(join(cwd, "data", "gateway-key-pepper")).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(cwd, "data", "bga.sqlite")).includes(Buffer.from(token.split(".")[3]))).toBe(
      false
    )

    const listed = await bga(cwd, "keys", "list", "--instance", "acme")
    expect(listed.code).toBe(0)
    expect(listed.out).not.toContain(token.split(".")[3])
    expect(listed.json()).toEqual([expect.objectContaining({ keyId: key.keyId, status: "active" })])

    const revoked = await bga(cwd, "keys", "revoke", key.keyId, "--instance", "acme", "--by", "alice")
    expect(revoked.code).toBe(0)
    expect(revoked.json()).toMatchObject({ status: "revoked", revokedBy: "alice" })
    expect((await bga(cwd, "keys", "list", "--instance", "acme")).json()[0].status).toBe("revoked")
  })

  it("refuses an unknown scope, a bad instance and a missing key, with the reason", async () => {
    const cwd = workspace()
    const scope = await bga(cwd, "keys", "create", "--instance", "acme", "--name", "x", "--scope", "root")
    expect(scope.code).toBe(2)
    expect(scope.err).toContain("root")
    const instance = await bga(
      cwd,
      "keys",
      "create",
      "--instance",
      "Acme Corp",
      "--name",
      "x",
      "--scope",
      "admin"
    )
    expect(instance.code).toBe(1)
    expect(instance.err).toContain("customerInstanceId")
    await bga(cwd, "keys", "create", "--instance", "acme", "--name", "x", "--scope", "admin")
    const missing = await bga(
      cwd,
      "keys",
      "revoke",
      "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
      "--instance",
      "acme"
    )
    expect(missing.code).toBe(1)
    expect(missing.err).toContain("not found")
  })
})

describe("bga audit", () => {
  it("verifies the stored chain, exports it, and verifies the export offline, catching an edit", async () => {
    const cwd = workspace()
    for (const name of ["a", "b", "c"])
      await bga(cwd, "keys", "create", "--instance", "acme", "--name", name, "--scope", "admin")
    const verified = await bga(cwd, "audit", "verify", "--instance", "acme")
    expect(verified.code).toBe(0)
    expect(verified.json()).toMatchObject({ ok: true, checked: 3, lastSeq: 3 })

    const exported = await bga(cwd, "audit", "export", "--instance", "acme", "--out", "acme.jsonl")
    expect(exported.code).toBe(0)
    expect(exported.err).toContain("wrote 3 records")
    const offline = await bga(cwd, "audit", "verify", "--instance", "acme", "--file", "acme.jsonl")
    expect(offline.json()).toMatchObject({ ok: true, checked: 3 })

    const lines = readFileSync(join(cwd, "acme.jsonl"), "utf8").split("\n")
    lines[1] = lines[1]!.replace('"name":"b"', '"name":"B"')
    writeFileSync(join(cwd, "tampered.jsonl"), lines.join("\n"))
    const tampered = await bga(cwd, "audit", "verify", "--instance", "acme", "--file", "tampered.jsonl")
    expect(tampered.code).toBe(1)
    expect(tampered.json().problems[0]).toMatchObject({ kind: "hash-mismatch", seq: 2 })
    expect(tampered.err).toContain("broken")
  })

  it("exports to standard output as one canonical record per line", async () => {
    const cwd = workspace()
    await bga(cwd, "keys", "create", "--instance", "acme", "--name", "a", "--scope", "admin")
    const exported = await bga(cwd, "audit", "export", "--instance", "acme")
    expect(exported.out.split("\n").map((l) => JSON.parse(l).seq)).toEqual([1])
  })
})

describe("bga policy eval", () => {
  it("answers with the decision trace of the configured policy", async () => {
    const cwd = workspace()
    writeFileSync(
      join(cwd, "policy.json"),
      JSON.stringify({
        version: 1,
        deployment: {
          rules: [
            {
              id: "refunds-need-a-human",
              effect: "require_approval",
              rationale: "Money leaves only with a human's approval",
              actions: "tool.invoke",
              resource: { names: "refund_issue" }
            }
          ]
        }
      })
    )
    const request = {
      subject: {
        actor: { kind: "user", id: "u-1", roles: [] },
        customerInstanceId: "acme",
        environment: "production"
      },
      action: "tool.invoke",
      resource: { kind: "tool", name: "refund_issue" }
    }
    writeFileSync(join(cwd, "request.json"), JSON.stringify(request))
    const answer = await bga(cwd, "policy", "eval", "--policy", "policy.json", "--request", "request.json")
    expect(answer.code, answer.err).toBe(0)
    expect(answer.json()).toMatchObject({
      effect: "require_approval",
      decidingRule: { ruleId: "refunds-need-a-human" }
    })

    writeFileSync(join(cwd, "bad.json"), JSON.stringify({ ...request, action: "Tool Invoke" }))
    const bad = await bga(cwd, "policy", "eval", "--policy", "policy.json", "--request", "bad.json")
    expect(bad.code).toBe(1)
    expect(bad.err).toContain("$.action")
  })
})

describe("one configuration file for every command", () => {
  it("plugin commands read a file that also has a gateway section", async () => {
    const cwd = workspace()
    const verify = await bga(cwd, "plugin", "verify", "does-not-exist")
    expect(verify.err).toContain("does not exist")
    expect(verify.err).not.toContain("gateway")
  })
})
