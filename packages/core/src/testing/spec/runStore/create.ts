import { Effect } from "effect"
import { describe, expect } from "vitest"
import { hashOf } from "../../../hash.js"
import { newId } from "../../../ids.js"
import { RunStore } from "../../../storage/RunStore.js"
import { instanceId, runRequest } from "../../fixtures.js"
import { expectError, failureOf, malformedInstanceIds, type Spec } from "../../harness.js"

/** RunStore.create: new runs, idempotent retries, conflicts and bad input. */
export const create: Spec = ({ it }) =>
  describe("RunStore.create", () => {
    it.effect("creates a QUEUED run at version 1 holding the request and its hash", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const request = runRequest(ci)
        const { created, run } = yield* runs.create(ci, request)
        expect(created).toBe(true)
        expect(run).toMatchObject({
          customerInstanceId: ci,
          state: "QUEUED",
          version: 1,
          leaseEpoch: 0,
          request
        })
        expect(run.requestHash).toBe(hashOf(request))
        expect(run.lease).toBeUndefined()
        expect(yield* runs.get(ci, run.runId)).toEqual(run)
      })
    )

    it.effect("keeps a caller-chosen run id", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const runId = newId()
        const { run } = yield* runs.create(ci, runRequest(ci, { runId }))
        expect(run.runId).toBe(runId)
      })
    )

    it.effect("returns the first run when the same idempotency key comes with the same request", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const request = runRequest(ci, { idempotencyKey: "order-42" })
        const first = yield* runs.create(ci, request)
        const retry = yield* runs.create(ci, request)
        expect(retry.created).toBe(false)
        expect(retry.run).toEqual(first.run)
        expect((yield* runs.list(ci)).items).toHaveLength(1)
      })
    )

    it.effect("refuses the same idempotency key with a different request", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        yield* runs.create(ci, runRequest(ci, { idempotencyKey: "order-42" }))
        const error = yield* failureOf(
          runs.create(ci, runRequest(ci, { idempotencyKey: "order-42", input: { text: "something else" } }))
        )
        expectError(error, "ConflictError", "idempotency-key-reused")
        expect((yield* runs.list(ci)).items).toHaveLength(1)
      })
    )

    it.effect("treats a reused run id like a key: same request returns it, another is already-exists", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const runId = newId()
        yield* runs.create(ci, runRequest(ci, { runId }))
        expect((yield* runs.create(ci, runRequest(ci, { runId }))).created).toBe(false)
        const error = yield* failureOf(runs.create(ci, runRequest(ci, { runId, input: { text: "other" } })))
        expectError(error, "ConflictError", "already-exists")
      })
    )

    it.effect("makes exactly one run out of concurrent creates with one idempotency key", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const request = runRequest(ci, { idempotencyKey: "burst" })
        const results = yield* Effect.all(
          Array.from({ length: 8 }, () => runs.create(ci, request)),
          { concurrency: "unbounded" }
        )
        expect(results.filter((r) => r.created)).toHaveLength(1)
        expect(new Set(results.map((r) => r.run.runId)).size).toBe(1)
      })
    )

    it.effect("refuses a request that names another customer instance, storing nothing", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const error = yield* failureOf(runs.create(ci, runRequest(instanceId())))
        expectError(error, "InvalidInputError")
        expect(JSON.stringify(error)).toContain("$.request.customerInstanceId")
        expect((yield* runs.list(ci)).items).toHaveLength(0)
      })
    )

    it.effect("refuses a malformed request naming the fields at fault", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const bad = { ...runRequest(ci), input: { text: 5 }, extra: true } as never
        const error = yield* failureOf(runs.create(ci, bad))
        expectError(error, "InvalidInputError")
        const paths = (error as unknown as { problems: Array<{ path: string }> }).problems.map((p) => p.path)
        expect(paths).toEqual(expect.arrayContaining(["$.input.text", "$.extra"]))
      })
    )

    it.effect("refuses malformed customer instance ids", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        for (const ci of malformedInstanceIds) {
          const error = yield* failureOf(runs.create(ci as string, runRequest("acme")))
          expectError(error, "InvalidInputError")
        }
      })
    )
  })
