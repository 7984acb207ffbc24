import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import { RunStore } from "../../../storage/RunStore.js"
import { isoOf } from "../../../storage/validate.js"
import { instanceId } from "../../fixtures.js"
import { createRun, expectError, failureOf, type Spec } from "../../harness.js"

/** RunStore.list: filtered, cursor-paged listing of an instance's runs. */
export const list: Spec = ({ it }) =>
  describe("RunStore.list", () => {
    it.effect("pages through every run newest first, without gaps or repeats", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const created = []
        for (let i = 0; i < 7; i++) created.push(yield* createRun(ci))
        const seen: Array<string> = []
        let cursor: string | undefined
        for (let page = 0; page < 10; page++) {
          const result = yield* runs.list(ci, { limit: 3, ...(cursor === undefined ? {} : { cursor }) })
          seen.push(...result.items.map((r) => r.runId))
          cursor = result.nextCursor
          if (cursor === undefined) break
        }
        expect(seen).toEqual(
          created
            .map((r) => r.runId)
            .sort()
            .reverse()
        )
      })
    )

    it.effect("lists oldest first with order asc", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const a = yield* createRun(ci)
        const b = yield* createRun(ci)
        expect((yield* runs.list(ci, { order: "asc" })).items.map((r) => r.runId)).toEqual(
          [a.runId, b.runId].sort()
        )
      })
    )

    it.effect("filters by state", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const a = yield* createRun(ci)
        yield* createRun(ci)
        yield* runs.transition(ci, a.runId, { to: "RUNNING", expectedVersion: 1 })
        const running = yield* runs.list(ci, { states: ["RUNNING"] })
        expect(running.items.map((r) => r.runId)).toEqual([a.runId])
        expect((yield* runs.list(ci, { states: ["RUNNING", "QUEUED"] })).items).toHaveLength(2)
      })
    )

    it.effect("filters by creation time, from inclusive and to exclusive", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        yield* TestClock.setTime(Date.parse("2026-02-01T00:00:00.000Z"))
        const early = yield* createRun(ci)
        yield* TestClock.adjust("1 hour")
        const late = yield* createRun(ci)
        const from = yield* runs.list(ci, { createdFrom: late.createdAt })
        expect(from.items.map((r) => r.runId)).toEqual([late.runId])
        const to = yield* runs.list(ci, { createdTo: late.createdAt })
        expect(to.items.map((r) => r.runId)).toEqual([early.runId])
        expect(early.createdAt).toBe(isoOf(Date.parse("2026-02-01T00:00:00.000Z")))
      })
    )

    it.effect("refuses a cursor used with other filters, a forged cursor and bad limits", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        for (let i = 0; i < 3; i++) yield* createRun(ci)
        const page = yield* runs.list(ci, { limit: 1 })
        const cursor = page.nextCursor as string
        expectError(yield* failureOf(runs.list(ci, { limit: 1, cursor, order: "asc" })), "InvalidInputError")
        expectError(yield* failureOf(runs.list(ci, { cursor: "' OR 1=1 --" })), "InvalidInputError")
        expectError(
          yield* failureOf(runs.list(ci, { cursor: Buffer.from("{}").toString("base64url") })),
          "InvalidInputError"
        )
        expectError(yield* failureOf(runs.list(ci, { limit: 0 })), "InvalidInputError")
        expectError(yield* failureOf(runs.list(ci, { limit: 1001 })), "InvalidInputError")
        expectError(yield* failureOf(runs.list(ci, { states: ["DONE" as never] })), "InvalidInputError")
        expectError(yield* failureOf(runs.list(ci, { createdFrom: "yesterday" })), "InvalidInputError")
        expectError(yield* failureOf(runs.list(ci, { sort: "x" } as never)), "InvalidInputError")
      })
    )
  })
