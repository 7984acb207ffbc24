import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { maxAuditPayloadBytes, prepareEntry } from "../../src/audit/AuditEntry.js"
import { hashRecord } from "../../src/audit/AuditRecord.js"
import { assignRecordIds, chainEntries } from "../../src/audit/chain.js"
import { canonicalJson } from "../../src/hash.js"
import { newId } from "../../src/ids.js"
import { checkJsonValue } from "../../src/json/safeJson.js"

describe("prepared audit entries", () => {
  // Lone surrogates included: they have no canonical form, and both refuse them alike.
  it("chains every payload the limits accept to the hash hashRecord computes, or refuses it", () => {
    const text = fc.string({
      unit: fc.constantFrom("a", "é", "€", "😀", '"', "\\", "\n", "\u0001", "\\ud800", "\ud800", "\udfff")
    })
    const value = fc.letrec((tie) => ({
      json: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.boolean(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        text,
        fc.string({ unit: "binary" }),
        fc.array(tie("json")),
        fc.dictionary(fc.oneof(text, fc.string({ unit: "binary" })), tie("json"))
      )
    })).json
    const index = fc.record(
      {
        runId: fc.constant(newId()),
        decisionId: fc.constant(newId()),
        actorId: fc.string({ minLength: 1, maxLength: 20, unit: "binary" }),
        eventType: fc.constantFrom("egress.denied", "auth.login", "x:y-z")
      },
      { requiredKeys: [] }
    )
    const head = fc.option(
      fc.record({
        seq: fc.integer({ min: 1, max: 2 ** 40 }),
        hash: fc.constant("f".repeat(64)),
        ts: fc.constant("2026-03-01T00:00:00.000Z")
      }),
      { nil: undefined }
    )
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value), index, head, (payload, fields, at) => {
        fc.pre(checkJsonValue(payload, "test")._tag === "Success")
        let canonical: string | undefined
        try {
          canonical = canonicalJson(payload)
        } catch {
          canonical = undefined
        }
        const entry = { kind: "egress_event", ...fields, payload }
        if (canonical === undefined) {
          expect(() => prepareEntry("test", "acme", entry)).toThrow()
          return
        }
        const prepared = Result.getOrThrow(prepareEntry("test", "acme", entry))
        const records = chainEntries("acme", at, assignRecordIds([prepared, prepared]), Date.now())
        for (const record of records) expect(record.hash).toBe(hashRecord(record))
        expect(records[1]?.prevHash).toBe(records[0]?.hash)
      }),
      { numRuns: 600 }
    )
  })

  it("hashes in full an entry whose payload was replaced after it was prepared", () => {
    const prepared = Result.getOrThrow(
      prepareEntry("test", "acme", { kind: "auth_event", payload: { a: 1 } })
    )
    const [record] = chainEntries("acme", undefined, assignRecordIds([{ ...prepared, payload: { a: 2 } }]), 0)
    expect(record?.payload).toEqual({ a: 2 })
    expect(record?.hash).toBe(hashRecord(record!))
  })

  it("counts UTF-8 bytes, not characters, against the payload limit", () => {
    // 200k euro signs: 200k characters but 600k bytes, each string within the string limit.
    const payload = { a: "€".repeat(100_000), b: "€".repeat(100_000) }
    expect(Buffer.byteLength(canonicalJson(payload))).toBeGreaterThan(maxAuditPayloadBytes)
    const refused = prepareEntry("test", "acme", { kind: "auth_event", payload })
    expect(refused._tag).toBe("Failure")
    if (refused._tag === "Failure") expect(refused.failure.reason).toBe("too-large")
    const accepted = prepareEntry("test", "acme", { kind: "auth_event", payload: { a: "€".repeat(100_000) } })
    expect(accepted._tag).toBe("Success")
  })
})
