import { generateKeyPairSync } from "node:crypto"
import { Redacted, Result } from "effect"
import { describe, expect, it } from "vitest"
import { genesisHash } from "../../src/audit/AuditRecord.js"
import {
  keyIdOf,
  makeSigner,
  parsePrivateKey,
  parsePublicKey,
  publicKeyBase64,
  verifyCheckpointSignature
} from "../../src/audit/checkpoint.js"

const body = {
  version: 1 as const,
  customerInstanceId: "acme",
  seq: 42,
  hash: "ab".repeat(32),
  headTs: "2026-01-01T00:00:00.000Z",
  signedAt: "2026-01-01T00:00:01.000Z"
}

describe("signed audit checkpoints", () => {
  it("verify with the public key alone, in raw base64 or PEM form", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519")
    const signer = Result.getOrThrow(
      makeSigner(Redacted.make(privateKey.export({ format: "pem", type: "pkcs8" }).toString()))
    )
    const signed = signer.sign(body)
    expect(signed.keyId).toBe(keyIdOf(publicKey))
    expect(verifyCheckpointSignature(signed, signer.publicKey)).toBe(true)
    expect(
      verifyCheckpointSignature(signed, publicKey.export({ format: "pem", type: "spki" }).toString())
    ).toBe(true)
  })

  it("accept a private key given as base64 of its 32-byte seed", () => {
    const { privateKey } = generateKeyPairSync("ed25519")
    const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(16).toString("base64")
    const fromSeed = Result.getOrThrow(parsePrivateKey(seed))
    expect(publicKeyBase64(fromSeed)).toBe(publicKeyBase64(privateKey))
  })

  it("fail to verify when any field changed, or under another key", () => {
    const a = Result.getOrThrow(
      makeSigner(
        generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString()
      )
    )
    const b = Result.getOrThrow(
      makeSigner(
        generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString()
      )
    )
    const signed = a.sign(body)
    for (const changed of [
      { seq: 43 },
      { hash: genesisHash },
      { customerInstanceId: "globex" },
      { signedAt: "2027-01-01T00:00:00.000Z" }
    ]) {
      expect(verifyCheckpointSignature({ ...signed, ...changed }, a.publicKey)).toBe(false)
    }
    expect(verifyCheckpointSignature(signed, b.publicKey)).toBe(false)
    expect(verifyCheckpointSignature(signed, "not a key")).toBe(false)
  })

  it("refuse keys that are malformed or not ed25519, with a typed error", () => {
    expect(Result.getFailure(parsePrivateKey("short")).pipe((o) => o._tag === "Some" && o.value.reason)).toBe(
      "malformed"
    )
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 })
      .publicKey.export({ format: "pem", type: "spki" })
      .toString()
    expect(Result.getFailure(parsePublicKey(rsa)).pipe((o) => o._tag === "Some" && o.value.reason)).toBe(
      "not-ed25519"
    )
  })
})
