import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { prepareEntry } from "../../src/audit/AuditEntry.js"
import {
  type AuditRecord,
  fromRow,
  genesisHash,
  hashRecord,
  sealRecord,
  toRow
} from "../../src/audit/AuditRecord.js"
import { assignRecordIds, chainEntries, checkContinuation } from "../../src/audit/chain.js"
import { recordToJsonl, verifyJsonl } from "../../src/audit/jsonl.js"
import { anchorPayload, retentionCutoff } from "../../src/audit/retention.js"
import { verifyRecords } from "../../src/audit/verify.js"
import { newId } from "../../src/ids.js"
import { runEvent } from "../../src/testing/fixtures.js"

const ci = "acme"
const chain = (n: number, startMs = Date.parse("2026-01-01T00:00:00.000Z")): Array<AuditRecord> => {
  const out: Array<AuditRecord> = []
  for (let i = 0; i < n; i++) {
    const prepared = Result.getOrThrow(prepareEntry("test", ci, { kind: "auth_event", payload: { i } }))
    const last = out.at(-1)
    out.push(
      ...chainEntries(
        ci,
        last && { seq: last.seq, hash: last.hash, ts: last.ts },
        assignRecordIds([prepared]),
        startMs + i
      )
    )
  }
  return out
}
const kinds = (records: Iterable<AuditRecord>) =>
  verifyRecords(ci, records).problems.map((p) => [p.kind, p.seq])

describe("the hash chain", () => {
  it("starts at the genesis hash and links every record to the one before", () => {
    const records = chain(5)
    expect(records[0]).toMatchObject({ seq: 1, prevHash: genesisHash })
    for (let i = 1; i < 5; i++) expect(records[i]?.prevHash).toBe(records[i - 1]?.hash)
    for (const r of records) expect(r.hash).toBe(hashRecord(r))
    expect(verifyRecords(ci, records)).toMatchObject({ ok: true, checked: 5, firstSeq: 1, lastSeq: 5 })
  })

  it("never lets a record's time be earlier than its predecessor's", () => {
    const [first] = chain(1, Date.parse("2026-01-01T00:00:10.000Z"))
    const prepared = Result.getOrThrow(prepareEntry("test", ci, { kind: "auth_event", payload: {} }))
    const [next] = chainEntries(
      ci,
      first,
      assignRecordIds([prepared]),
      Date.parse("2026-01-01T00:00:00.000Z")
    )
    expect(next?.ts).toBe(first?.ts)
  })

  it("survives the row round trip unchanged", () => {
    for (const r of chain(3)) expect(Result.getOrThrow(fromRow(toRow(r)))).toEqual(r)
  })

  it("detects any single changed field, deleted record or swapped pair (property)", () => {
    const records = chain(12)
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 11 }),
        fc.constantFrom("payload", "ts", "kind", "actorId", "seq", "delete", "swap", "duplicate"),
        (i, change) => {
          const copy = [...records]
          const r = copy[i] as AuditRecord
          switch (change) {
            case "payload":
              copy[i] = { ...r, payload: { i: -1 } }
              break
            case "ts":
              copy[i] = { ...r, ts: "1999-01-01T00:00:00.000Z" }
              break
            case "kind":
              copy[i] = { ...r, kind: "plugin_event" }
              break
            case "actorId":
              copy[i] = { ...r, actorId: "mallory" }
              break
            case "seq":
              copy[i] = { ...r, seq: r.seq + 100 }
              break
            case "delete":
              if (i === 11) return // removing the newest record needs a checkpoint (tested apart)
              copy.splice(i, 1)
              break
            case "swap":
              if (i === 11) return
              copy[i] = copy[i + 1] as AuditRecord
              copy[i + 1] = r
              break
            case "duplicate":
              copy.splice(i, 0, r)
              break
          }
          expect(verifyRecords(ci, copy).ok).toBe(false)
        }
      )
    )
  })

  it("names the place and kind of each problem", () => {
    const records = chain(6)
    const resealed = sealRecord({ ...records[2]!, payload: { i: 99 } })
    expect(kinds(records.map((r, i) => (i === 2 ? resealed : r)))).toEqual([["broken-link", 4]])
    expect(kinds(records.filter((_, i) => i !== 1))).toEqual([["missing", 3]])
    expect(kinds(records.slice(2))).toEqual([["unanchored-start", 3]])
    expect(verifyRecords("other", records).problems[0]?.kind).toBe("foreign-instance")
  })

  it("accepts a pruned start exactly when an anchor records the cut", () => {
    const records = chain(6)
    const cut = records[2]!
    const prepared = Result.getOrThrow(prepareEntry("test", ci, { kind: "auth_event", payload: {} }))
    const anchorEntry = {
      ...prepared,
      kind: "anchor",
      recordId: newId(),
      payload: anchorPayload({
        reason: "retention",
        prunedFromSeq: 1,
        prunedThroughSeq: 3,
        prunedThroughHash: cut.hash,
        cutoff: "2026-01-01T00:00:00.003Z"
      })
    }
    const last = records.at(-1)!
    const anchored = [...records, ...chainEntries(ci, last, [anchorEntry], Date.parse(last.ts))].slice(3)
    expect(verifyRecords(ci, anchored).ok).toBe(true)
    expect(kinds(anchored.slice(1))).toEqual([["unanchored-start", 5]])
    const lying = anchored.map((r) =>
      r.kind === "anchor"
        ? sealRecord({ ...r, payload: { ...r.payload, prunedThroughHash: "a".repeat(64) } })
        : r
    )
    expect(kinds(lying).map(([k]) => k)).toContain("anchor-mismatch")
  })

  it("lets an import continue a chain only exactly", () => {
    const records = chain(4)
    expect(Result.isSuccess(checkContinuation(ci, undefined, records))).toBe(true)
    const head = { seq: 2, hash: records[1]!.hash, ts: records[1]!.ts }
    expect(Result.isSuccess(checkContinuation(ci, head, records.slice(2)))).toBe(true)
    expect(Result.isFailure(checkContinuation(ci, head, records.slice(3)))).toBe(true)
    expect(
      Result.isFailure(checkContinuation(ci, head, [{ ...records[2]!, payload: {} }, records[3]!]))
    ).toBe(true)
    expect(Result.isFailure(checkContinuation("other", undefined, records))).toBe(true)
  })

  it("computes a retention cutoff in days", () => {
    expect(retentionCutoff(Date.parse("2026-02-01T00:00:00.000Z"), 31)).toBe(
      Date.parse("2026-01-01T00:00:00.000Z")
    )
  })
})

describe("JSONL exports", () => {
  it("are canonical lines that verify offline, and report bad lines by number", () => {
    const records = chain(4)
    const text = records.map(recordToJsonl).join("")
    expect(text.split("\n")[0]).toBe(JSON.stringify(JSON.parse(text.split("\n")[0]!)))
    expect(verifyJsonl(ci, text).ok).toBe(true)
    const lines = text.trimEnd().split("\n")
    lines[1] = '{"seq":2,"hash":"nope"}'
    expect(verifyJsonl(ci, lines).problems[0]).toMatchObject({ kind: "unreadable", line: 2 })
  })
})

describe("audit entries", () => {
  it("take index fields from known contracts and refuse contradictions", () => {
    const runId = newId()
    const event = runEvent(ci, runId, { type: "run.output" })
    expect(Result.getOrThrow(prepareEntry("t", ci, { kind: "run_event", payload: event }))).toMatchObject({
      runId,
      eventType: "run.output"
    })
    expect(
      Result.isFailure(prepareEntry("t", ci, { kind: "run_event", eventType: "run.created", payload: event }))
    ).toBe(true)
    expect(
      Result.isFailure(prepareEntry("t", ci, { kind: "run_event", payload: { ...event, extra: 1 } }))
    ).toBe(true)
  })
})
