import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decodeCursor, encodeCursor } from "../../src/storage/cursor.js"
import { isLegalTransition, runTransitions } from "../../src/storage/RunRecord.js"

const binding = { scope: "audit", customerInstanceId: "acme", filters: { runId: null, order: "asc" } }

describe("cursors", () => {
  it("round-trip any position for the binding they were made for (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.nat(), fc.string({ maxLength: 100 }), fc.array(fc.nat(), { maxLength: 4 })),
        (position) => {
          expect(Result.getOrThrow(decodeCursor("t", encodeCursor(binding, position), binding))).toEqual(
            position
          )
        }
      )
    )
  })

  it("are refused for another instance, another list or other filters", () => {
    const cursor = encodeCursor(binding, 10)
    for (const other of [
      { ...binding, customerInstanceId: "globex" },
      { ...binding, scope: "runs" },
      { ...binding, filters: { runId: null, order: "desc" } }
    ]) {
      expect(Result.isFailure(decodeCursor("t", cursor, other))).toBe(true)
    }
  })

  it("refuse arbitrary text without throwing (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (text) => {
        const decoded = decodeCursor("t", text, binding)
        if (Result.isSuccess(decoded)) expect(text).toBe(encodeCursor(binding, decoded.success as number))
      })
    )
    expect(Result.isFailure(decodeCursor("t", 42, binding))).toBe(true)
  })
})

describe("the run lifecycle", () => {
  it("has no way out of a terminal state and no edge to QUEUED except from RUNNING", () => {
    for (const s of ["COMPLETED", "FAILED", "CANCELLED"] as const) expect(runTransitions[s]).toEqual([])
    expect(isLegalTransition("RUNNING", "QUEUED")).toBe(true)
    expect(isLegalTransition("WAITING_APPROVAL", "QUEUED")).toBe(false)
    expect(isLegalTransition("QUEUED", "COMPLETED")).toBe(false)
  })
})
