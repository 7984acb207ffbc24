import { generateKeyPairSync } from "node:crypto"
import { Audit } from "@bga/core"
import { StoragePostgres } from "@bga/storage-postgres"
import { Effect, Result } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { adminQuery, freshSchema, pgReachable, pgUrl, skipReason } from "./helpers.js"

describe.skipIf(!pgReachable)(`postgres audit tampering is reported by verify${skipReason}`, () => {
  const schema = freshSchema()
  const layer = StoragePostgres.layer({ url: pgUrl, schema, maxConnections: 2 })
  let n = 0
  afterAll(() => adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))

  const run = <A, E>(f: (audit: Audit.AuditLogShape) => Effect.Effect<A, E>) =>
    Effect.runPromise(Audit.AuditLog.use(f).pipe(Effect.provide(layer)))
  /** A fresh instance with ten records. */
  const seeded = async () => {
    const ci = `tamper-${n++}`
    const records = await run((a) =>
      a.appendAll(
        ci,
        Array.from({ length: 10 }, (_, i) => ({ kind: "auth_event", payload: { i } }))
      )
    )
    const sql = (text: string, ...params: Array<unknown>) =>
      adminQuery(text.replaceAll("audit_records", `${schema}.audit_records`), [ci, ...params])
    const problems = async (input?: Audit.AuditVerifyInput) =>
      (await run((a) => a.verify(ci, input))).problems.map((p) => [p.kind, p.seq])
    return { ci, records, sql, problems }
  }

  it("an edited payload: hash-mismatch at that record", async () => {
    const t = await seeded()
    await t.sql(
      "UPDATE audit_records SET payload = '{\"i\":500}' WHERE customer_instance_id = $1 AND seq = 5"
    )
    expect(await t.problems()).toEqual([["hash-mismatch", 5]])
  })

  it("an edited and re-hashed record: the next link breaks", async () => {
    const t = await seeded()
    const forged = Audit.sealRecord({ ...t.records[4]!, payload: { i: 500 } })
    await t.sql(
      "UPDATE audit_records SET payload = '{\"i\":500}', hash = $2 WHERE customer_instance_id = $1 AND seq = 5",
      forged.hash
    )
    expect(await t.problems()).toEqual([["broken-link", 6]])
  })

  it("a deleted record: missing at the gap", async () => {
    const t = await seeded()
    await t.sql("DELETE FROM audit_records WHERE customer_instance_id = $1 AND seq = 5")
    expect(await t.problems()).toEqual([["missing", 6]])
  })

  it("two records swapped: both fail their hash", async () => {
    const t = await seeded()
    await t.sql("UPDATE audit_records SET seq = -1 WHERE customer_instance_id = $1 AND seq = 4")
    await t.sql("UPDATE audit_records SET seq = 4 WHERE customer_instance_id = $1 AND seq = 5")
    await t.sql("UPDATE audit_records SET seq = 5 WHERE customer_instance_id = $1 AND seq = -1")
    const found = await t.problems()
    expect(found).toContainEqual(["hash-mismatch", 4])
    expect(found).toContainEqual(["hash-mismatch", 5])
  })

  it("a record inserted in the middle: reported from where it sits", async () => {
    const t = await seeded()
    await t.sql("UPDATE audit_records SET seq = seq + 1000 WHERE customer_instance_id = $1 AND seq >= 6")
    await t.sql("UPDATE audit_records SET seq = seq - 999 WHERE customer_instance_id = $1 AND seq >= 1006")
    const forged = Audit.toRow(
      Audit.sealRecord({
        ...t.records[5]!,
        recordId: "01900000-0000-7000-8000-000000000001",
        payload: { i: -1 }
      })
    )
    await t.sql(
      "INSERT INTO audit_records (customer_instance_id, seq, record_id, kind, ts, payload, prev_hash, hash) VALUES ($1, 6, $2, $3, $4, $5, $6, $7)",
      forged.recordId,
      forged.kind,
      forged.ts,
      forged.payload,
      forged.prevHash,
      forged.hash
    )
    const found = await t.problems()
    expect(found.length).toBeGreaterThan(0)
    expect(found.every(([, seq]) => (seq as number) >= 6)).toBe(true)
  })

  it("records removed from the end: a signed checkpoint reveals it", async () => {
    const t = await seeded()
    const { privateKey } = generateKeyPairSync("ed25519")
    const signer = Result.getOrThrow(
      Audit.makeSigner(privateKey.export({ format: "pem", type: "pkcs8" }).toString())
    )
    const checkpoint = await Effect.runPromise(
      Audit.checkpointHead(t.ci).pipe(Effect.provideService(Audit.AuditSigner, signer), Effect.provide(layer))
    )
    await t.sql("DELETE FROM audit_records WHERE customer_instance_id = $1 AND seq >= 9")
    expect(await t.problems()).toEqual([])
    expect(await t.problems({ checkpoints: [checkpoint], publicKey: signer.publicKey })).toEqual([
      ["checkpoint-beyond-head", 10]
    ])
  })
})
