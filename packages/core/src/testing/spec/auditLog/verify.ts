import { generateKeyPairSync } from "node:crypto"
import { Effect, Result } from "effect"
import { describe, expect } from "vitest"
import { AuditLog } from "../../../audit/AuditLog.js"
import { AuditSigner, makeSigner } from "../../../audit/checkpoint.js"
import { checkpointHead } from "../../../audit/operations.js"
import { instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

const signer = () => {
  const { privateKey } = generateKeyPairSync("ed25519")
  return Result.getOrThrow(makeSigner(privateKey.export({ format: "pem", type: "pkcs8" }).toString()))
}

/** AuditLog.verify: recomputes the chain (tamper cases are in each adapter's own tests). */
export const verify: Spec = ({ it }) =>
  describe("AuditLog.verify", () => {
    it.effect("reports an intact chain as ok, whole or by range", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        const written = yield* audit.appendAll(
          ci,
          Array.from({ length: 12 }, (_, i) => ({ kind: "auth_event", payload: { i } }))
        )
        expect(yield* audit.verify(ci)).toMatchObject({
          ok: true,
          checked: 12,
          firstSeq: 1,
          lastSeq: 12,
          lastHash: written[11]?.hash,
          problems: []
        })
        expect(yield* audit.verify(ci, { fromSeq: 4, toSeq: 9 })).toMatchObject({
          ok: true,
          checked: 6,
          firstSeq: 4,
          lastSeq: 9
        })
        expect(yield* audit.verify(instanceId())).toMatchObject({ ok: true, checked: 0 })
      })
    )

    it.effect("holds the chain to signed checkpoints, which the public key alone verifies", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        const keys = signer()
        yield* audit.appendAll(
          ci,
          Array.from({ length: 3 }, (_, i) => ({ kind: "auth_event", payload: { i } }))
        )
        const cp = yield* checkpointHead(ci).pipe(Effect.provideService(AuditSigner, keys))
        expect(cp).toMatchObject({ seq: 3, customerInstanceId: ci, keyId: keys.keyId })
        yield* audit.append(ci, { kind: "auth_event", payload: { i: 3 } })
        const report = yield* audit.verify(ci, { checkpoints: [cp], publicKey: keys.publicKey })
        expect(report).toMatchObject({ ok: true, checkpointsVerified: 1 })
        const beyond = keys.sign({ ...cp, seq: 9 })
        const truncated = yield* audit.verify(ci, { checkpoints: [beyond], publicKey: keys.publicKey })
        expect(truncated.problems.map((p) => p.kind)).toEqual(["checkpoint-beyond-head"])
        const forged = { ...cp, hash: "f".repeat(64) }
        const bad = yield* audit.verify(ci, { checkpoints: [forged], publicKey: keys.publicKey })
        expect(bad.problems.map((p) => p.kind)).toEqual(["checkpoint-signature"])
        const otherKey = signer()
        const wrongKey = yield* audit.verify(ci, { checkpoints: [cp], publicKey: otherKey.publicKey })
        expect(wrongKey.ok).toBe(false)
      })
    )

    it.effect("refuses malformed ranges and checkpoints", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        for (const input of [
          { fromSeq: 0 },
          { fromSeq: 5, toSeq: 2 },
          { toSeq: "9" },
          { checkpoints: [{ seq: 1 }] },
          { publicKey: 1 }
        ]) {
          expectError(yield* failureOf(audit.verify(ci, input as never)), "InvalidInputError")
        }
      })
    )
  })
