import { createHmac } from "node:crypto"
import { Effect, Option, Redacted } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { boundFields } from "../../src/gateway/auth/ApiKeyRecord.js"
import { type AuthFailure, keyNamespace, keyPath, make } from "../../src/gateway/auth/ApiKeys.js"
import { parseToken } from "../../src/gateway/auth/token.js"
import { canonicalJson } from "../../src/hash.js"
import { approverActor, closeTestGateways, makeTestGateway, pepper } from "./support/harness.js"

afterAll(closeTestGateways)

const failureOf = async (effect: Effect.Effect<unknown, unknown>) => {
  const exit = await Effect.runPromiseExit(effect)
  if (exit._tag === "Success") throw new Error("expected a failure")
  const error = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (error === undefined || error._tag !== "Fail") throw new Error("expected a typed failure")
  return error.error as AuthFailure
}

describe("API keys", () => {
  it("are shown once: the store keeps a keyed hash bound to the record, never the secret", async () => {
    const t = await makeTestGateway()
    const created = await Effect.runPromise(
      t.keys.create({ customerInstanceId: "acme", name: "ops", scopes: ["runs:read"], createdBy: "test" })
    )
    const parts = parseToken(created.token)!
    expect(parts).toMatchObject({ customerInstanceId: "acme", keyId: created.key.keyId })
    const stored = await Effect.runPromise(t.kv.get("acme", keyNamespace, keyPath(created.key.keyId)))
    const text = JSON.stringify(Option.getOrThrow(stored).value)
    expect(text).not.toContain(parts.secret)
    const record = Option.getOrThrow(stored).value as never as Parameters<typeof boundFields>[0]
    const expected = createHmac("sha256", Redacted.value(pepper))
      .update(canonicalJson(boundFields(record)))
      .update("\n")
      .update(parts.secret)
      .digest("hex")
    expect(record.mac).toBe(expected)
    expect(created.key).not.toHaveProperty("mac")
    const listed = await Effect.runPromise(t.keys.list("acme"))
    expect(JSON.stringify(listed)).not.toContain(parts.secret)
    expect(listed.map((k) => k.status)).toEqual(["active"])
  })

  it("authenticate a caller as the key's instance, environment, actor and scopes", async () => {
    const t = await makeTestGateway()
    const token = await t.key("acme", ["runs:read", "approvals:resolve"])
    const principal = await Effect.runPromise(t.keys.authenticate(token, "127.0.0.1"))
    expect(principal).toMatchObject({
      customerInstanceId: "acme",
      environment: "production",
      actor: approverActor,
      scopes: ["runs:read", "approvals:resolve"]
    })
  })

  it("refuse wrong, malformed, missing, revoked and expired credentials, each for its reason", async () => {
    const t = await makeTestGateway()
    const token = await t.key("acme", ["admin"])
    const wrong = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`
    expect((await failureOf(t.keys.authenticate(wrong, "a"))).reason).toBe("bad_secret")
    expect((await failureOf(t.keys.authenticate("Bearer nonsense", "a"))).reason).toBe("malformed")
    expect((await failureOf(t.keys.authenticate(undefined, "a"))).reason).toBe("missing")
    const unknown = token.replace(parseToken(token)!.keyId, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
    expect((await failureOf(t.keys.authenticate(unknown, "a"))).reason).toBe("unknown_key")

    const { keyId } = parseToken(token)!
    const revoked = await Effect.runPromise(t.keys.revoke("acme", keyId, "test"))
    expect(revoked.status).toBe("revoked")
    expect((await failureOf(t.keys.authenticate(token, "b"))).reason).toBe("revoked")

    const expiring = await Effect.runPromise(
      t.keys.create({
        customerInstanceId: "acme",
        name: "old",
        scopes: ["runs:read"],
        expiresAt: "2020-01-01T00:00:00.000Z"
      })
    )
    expect(expiring.key.status).toBe("expired")
    expect((await failureOf(t.keys.authenticate(expiring.token, "c"))).reason).toBe("expired")
  })

  it("stop matching when the stored record is edited (scopes widened, instance moved)", async () => {
    const t = await makeTestGateway()
    const token = await t.key("acme", ["runs:read"])
    const { keyId } = parseToken(token)!
    const stored = Option.getOrThrow(await Effect.runPromise(t.kv.get("acme", keyNamespace, keyPath(keyId))))
    await Effect.runPromise(
      t.kv.set("acme", keyNamespace, keyPath(keyId), { ...(stored.value as object), scopes: ["admin"] })
    )
    expect((await failureOf(t.keys.authenticate(token, "a"))).reason).toBe("bad_secret")
  })

  it("cannot be verified or minted without the pepper", async () => {
    const t = await makeTestGateway()
    const token = await t.key("acme", ["admin"])
    const otherPepper = make(t.kv, t.audit, {
      pepper: Redacted.make("another-pepper-0123456789abcdef0123456789")
    })
    expect((await failureOf(otherPepper.authenticate(token, "a"))).reason).toBe("bad_secret")
  })

  it("are audited when created and revoked, without their secret", async () => {
    const t = await makeTestGateway()
    const created = await Effect.runPromise(
      t.keys.create({ customerInstanceId: "acme", name: "ci bot", scopes: ["runs:write"] })
    )
    await Effect.runPromise(t.keys.revoke("acme", created.key.keyId, "operator-1"))
    const events = await Effect.runPromise(t.audit.list("acme", { kinds: ["auth_event"] }))
    expect(events.items.map((r) => r.eventType)).toEqual(["auth.key_created", "auth.key_revoked"])
    expect(events.items[1]?.payload).toMatchObject({ keyId: created.key.keyId, revokedBy: "operator-1" })
    expect(JSON.stringify(events.items)).not.toContain(parseToken(created.token)!.secret)
  })

  it("reject a key description that is not valid, writing nothing", async () => {
    const t = await makeTestGateway()
    const exit = await Effect.runPromiseExit(
      t.keys.create({ customerInstanceId: "Acme!", name: "", scopes: ["root" as never] })
    )
    expect(exit._tag).toBe("Failure")
    expect(String(exit)).toContain("customerInstanceId")
    expect((await Effect.runPromise(t.keys.list("acme"))).length).toBe(0)
  })
})

describe("lockout", () => {
  it("locks a key after repeated wrong secrets, even for its right secret, and audits the lock", async () => {
    const t = await makeTestGateway({ lockout: { key: { threshold: 3 }, address: { threshold: 1000 } } })
    const token = await t.key("acme", ["runs:read"])
    const wrong = `${token.slice(0, -2)}${token.endsWith("AA") ? "BB" : "AA"}`
    const codes: Array<string> = []
    for (let i = 0; i < 4; i++) {
      const r = await t.call("runs.list", {}, wrong, { clientAddress: `10.0.0.${i}` })
      codes.push(r._tag === "Success" ? "ok" : r.error.code)
    }
    expect(codes).toEqual(["unauthenticated", "unauthenticated", "unauthenticated", "locked_out"])
    const right = await t.call("runs.list", {}, token, { clientAddress: "10.0.1.1" })
    expect(right._tag === "Failure" && right.error.code).toBe("locked_out")
    expect(right._tag === "Failure" && right.error.retryAfterSeconds).toBeGreaterThan(0)
    const audited = await Effect.runPromise(t.audit.list("acme", { kinds: ["auth_event"] }))
    expect(audited.items.map((r) => r.eventType)).toEqual([
      "auth.key_created",
      "auth.denied",
      "auth.denied",
      "auth.denied",
      "auth.locked_out"
    ])
  })

  it("locks a client address after repeated failures of any kind, without touching other addresses", async () => {
    const t = await makeTestGateway({ lockout: { address: { threshold: 5 } } })
    const token = await t.key("acme", ["runs:read"])
    for (let i = 0; i < 5; i++) await t.call("runs.list", {}, "garbage", { clientAddress: "192.0.2.7" })
    const locked = await t.call("runs.list", {}, token, { clientAddress: "192.0.2.7" })
    expect(locked._tag === "Failure" && locked.error.code).toBe("locked_out")
    const other = await t.call("runs.list", {}, token, { clientAddress: "192.0.2.8" })
    expect(other._tag).toBe("Success")
    // Unattributable failures go to the gateway's own chain, not to a chain a stranger named.
    const gatewayChain = await Effect.runPromise(t.audit.list("gateway", { kinds: ["auth_event"] }))
    expect(gatewayChain.items.map((r) => r.eventType)).toEqual([
      "auth.denied",
      "auth.denied",
      "auth.denied",
      "auth.denied",
      "auth.denied",
      "auth.locked_out"
    ])
    expect(gatewayChain.items[0]?.payload).toMatchObject({ reason: "malformed", clientAddress: "192.0.2.7" })
  })

  it("does not create audit chains for instances a stranger names", async () => {
    const t = await makeTestGateway()
    const fake =
      "bga1.made-up-instance.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    const result = await t.call("runs.list", {}, fake)
    expect(result._tag === "Failure" && result.error.code).toBe("unauthenticated")
    const head = await Effect.runPromise(t.audit.head("made-up-instance"))
    expect(Option.isNone(head)).toBe(true)
    const gatewayChain = await Effect.runPromise(t.audit.list("gateway"))
    expect(gatewayChain.items[0]?.payload).toMatchObject({
      reason: "unknown_key",
      namedInstance: "made-up-instance"
    })
  })
})
