import { generateKeyPairSync } from "node:crypto"
import { DatabaseSync } from "node:sqlite"
import { Audit, type Storage } from "@bga/core"
import { expectError, failureOf } from "@bga/core/testing"
import { StorageSqlite } from "@bga/storage-sqlite"
import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import { tempDbPath } from "./helpers.js"

const ci = "tamper-test"

/** A store with `n` audit records of `ci`, and direct SQL access to its file. */
const seeded = async (n = 10) => {
  const path = tempDbPath()
  const records = await run(path, (audit) =>
    audit.appendAll(
      ci,
      Array.from({ length: n }, (_, i) => ({ kind: "auth_event", payload: { i } }))
    )
  )
  return {
    path,
    records,
    sql: (text: string, ...params: Array<string | number>) => {
      const db = new DatabaseSync(path)
      try {
        db.prepare(text).run(...params)
      } finally {
        db.close()
      }
    }
  }
}

const run = <A, E>(path: string, f: (audit: Audit.AuditLogShape) => Effect.Effect<A, E>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      return yield* f(yield* Audit.AuditLog)
    }).pipe(Effect.provide(StorageSqlite.layer({ path })))
  )

const problems = async (path: string, input?: Audit.AuditVerifyInput) => {
  const report = await run(path, (audit) => audit.verify(ci, input))
  return report.problems.map((p) => [p.kind, p.seq])
}

describe("SQLite audit tampering is reported by verify", () => {
  it("an edited payload: hash-mismatch at that record", async () => {
    const { path, sql } = await seeded()
    sql("UPDATE audit_records SET payload = ? WHERE customer_instance_id = ? AND seq = 5", '{"i":500}', ci)
    expect(await problems(path)).toEqual([["hash-mismatch", 5]])
  })

  it("an edited and re-hashed record: the next record's link breaks", async () => {
    const { path, records, sql } = await seeded()
    const forged = Audit.sealRecord({ ...records[4]!, payload: { i: 500 } })
    sql(
      "UPDATE audit_records SET payload = ?, hash = ? WHERE customer_instance_id = ? AND seq = 5",
      '{"i":500}',
      forged.hash,
      ci
    )
    expect(await problems(path)).toEqual([["broken-link", 6]])
  })

  it("an edited index column or timestamp: hash-mismatch", async () => {
    const { path, sql } = await seeded()
    sql("UPDATE audit_records SET actor_id = 'someone' WHERE customer_instance_id = ? AND seq = 2", ci)
    sql(
      "UPDATE audit_records SET ts = '2000-01-01T00:00:00.000Z' WHERE customer_instance_id = ? AND seq = 7",
      ci
    )
    const found = await problems(path)
    expect(found).toContainEqual(["hash-mismatch", 2])
    expect(found).toContainEqual(["hash-mismatch", 7])
  })

  it("a deleted record: missing, located at the gap", async () => {
    const { path, sql } = await seeded()
    sql("DELETE FROM audit_records WHERE customer_instance_id = ? AND seq = 5", ci)
    const report = await run(path, (audit) => audit.verify(ci))
    expect(report.problems).toMatchObject([{ kind: "missing", seq: 6, message: "record 5 is missing" }])
  })

  it("deleted first records without an anchor: unanchored start", async () => {
    const { path, sql } = await seeded()
    sql("DELETE FROM audit_records WHERE customer_instance_id = ? AND seq <= 3", ci)
    expect(await problems(path)).toEqual([["unanchored-start", 4]])
  })

  it("two records swapped: both fail their hash", async () => {
    const { path, sql } = await seeded()
    sql("UPDATE audit_records SET seq = -1 WHERE customer_instance_id = ? AND seq = 4", ci)
    sql("UPDATE audit_records SET seq = 4 WHERE customer_instance_id = ? AND seq = 5", ci)
    sql("UPDATE audit_records SET seq = 5 WHERE customer_instance_id = ? AND seq = -1", ci)
    const found = await problems(path)
    expect(found).toContainEqual(["hash-mismatch", 4])
    expect(found).toContainEqual(["hash-mismatch", 5])
  })

  it("a record inserted in the middle: reported where it sits", async () => {
    const { path, records, sql } = await seeded()
    sql("UPDATE audit_records SET seq = seq + 1000 WHERE customer_instance_id = ? AND seq >= 6", ci)
    sql("UPDATE audit_records SET seq = seq - 999 WHERE customer_instance_id = ? AND seq >= 1006", ci)
    const forged = Audit.sealRecord({
      ...records[5]!,
      recordId: "01900000-0000-7000-8000-000000000000",
      payload: { i: -1 }
    })
    const row = Audit.toRow(forged)
    sql(
      "INSERT INTO audit_records (customer_instance_id, seq, record_id, kind, ts, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ci,
      6,
      row.recordId,
      row.kind,
      row.ts,
      row.payload,
      row.prevHash,
      row.hash
    )
    const found = await problems(path)
    expect(found.length).toBeGreaterThan(0)
    expect(found.every(([, seq]) => (seq as number) >= 6)).toBe(true)
  })

  it("records removed from the end: only a signed checkpoint can tell, and it does", async () => {
    const { path, sql } = await seeded()
    const { privateKey } = generateKeyPairSync("ed25519")
    const signer = Result.getOrThrow(
      Audit.makeSigner(privateKey.export({ format: "pem", type: "pkcs8" }).toString())
    )
    const checkpoint = await Effect.runPromise(
      Audit.checkpointHead(ci).pipe(
        Effect.provideService(Audit.AuditSigner, signer),
        Effect.provide(StorageSqlite.layer({ path }))
      )
    )
    sql("DELETE FROM audit_records WHERE customer_instance_id = ? AND seq >= 9", ci)
    expect(await problems(path)).toEqual([])
    expect(await problems(path, { checkpoints: [checkpoint], publicKey: signer.publicKey })).toEqual([
      ["checkpoint-beyond-head", 10]
    ])
  })

  it("a row moved to another instance: gone from one chain, foreign-looking in the other", async () => {
    const { path, sql } = await seeded()
    sql(
      "UPDATE audit_records SET customer_instance_id = 'victim' WHERE customer_instance_id = ? AND seq = 3",
      ci
    )
    expect(await problems(path)).toEqual([["missing", 4]])
    const victim = await run(path, (audit) => audit.verify("victim"))
    expect(victim.problems.map((p) => p.kind)).toContain("hash-mismatch")
  })

  it("an unreadable payload: reported by verify, a typed corrupt error for queries, and prune refuses", async () => {
    const { path, sql } = await seeded()
    sql("UPDATE audit_records SET payload = '{broken' WHERE customer_instance_id = ? AND seq = 2", ci)
    expect(await problems(path)).toEqual([["unreadable", 2]])
    const error = await run(path, (audit) => failureOf(audit.list(ci)))
    expectError(error, "StorageError", "corrupt")
    expect((error as Storage.StorageError).message).toContain("seq 2")
    const refused = await run(path, (audit) =>
      failureOf(audit.prune(ci, { before: new Date().toISOString() }))
    )
    expectError(refused, "ConflictError", "chain-mismatch")
  })
})
