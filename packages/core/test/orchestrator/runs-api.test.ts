import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { newId } from "../../src/ids.js"
import { InvalidInputError } from "../../src/json/JsonError.js"
import { makeStack, request, timeline } from "./harness.js"

const single = {
  globalConcurrency: 1,
  instanceConcurrency: 1,
  globalQueueLimit: 100,
  instanceQueueLimit: 100
}

describe("orchestrator: runs.create, get, list and lanes", () => {
  it.effect("the same idempotency key within an instance returns the existing run, once", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({ script: () => ({ text: "ok" }) })
      const first = yield* stack.orchestrator.create(request("acme", { idempotencyKey: "ticket-7" }))
      const again = yield* stack.orchestrator.create(request("acme", { idempotencyKey: "ticket-7" }))
      expect(first.created).toBe(true)
      expect(again.created).toBe(false)
      expect(again.run.run.runId).toBe(first.run.run.runId)
      // Another instance has its own keys.
      const other = yield* stack.orchestrator.create(request("globex", { idempotencyKey: "ticket-7" }))
      expect(other.created).toBe(true)
      yield* stack.orchestrator.awaitIdle
      expect(stack.model.requests).toHaveLength(2)
      const events = yield* timeline(stack, "acme", first.run.run.runId)
      expect(events.filter((e) => e.type === "run.created")).toHaveLength(1)
    })
  )

  it.effect("the same key with a different request is a conflict, and nothing is queued", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({ script: () => ({ text: "ok" }) })
      yield* stack.orchestrator.create(request("acme", { idempotencyKey: "k" }))
      const error = yield* Effect.flip(
        stack.orchestrator.create(request("acme", { idempotencyKey: "k", input: { text: "something else" } }))
      )
      expect(error._tag).toBe("@bga/core/OrchestratorError")
      expect((error as { reason: string }).reason).toBe("idempotency-conflict")
      yield* stack.orchestrator.awaitIdle
      expect(stack.model.requests).toHaveLength(1)
    })
  )

  it.effect("bad input is an InvalidInputError naming the field; nothing is written", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({ script: () => ({ text: "ok" }) })
      const error = yield* Effect.flip(
        stack.orchestrator.create({ ...request(), customerInstanceId: "ACME!" } as never)
      )
      expect(error).toBeInstanceOf(InvalidInputError)
      expect((error as InvalidInputError).problems[0]?.path).toBe("$.customerInstanceId")
      expect((yield* stack.orchestrator.list("acme")).items).toEqual([])
    })
  )

  it.effect("get and list see only the caller's customer instance; list filters and pages", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({ script: () => ({ text: "ok" }) })
      const mine = []
      for (let i = 0; i < 3; i++) mine.push((yield* stack.orchestrator.create(request("acme"))).run.run.runId)
      const other = (yield* stack.orchestrator.create(
        request("acme", { actor: { kind: "service", id: "svc-1", roles: [] } })
      )).run.run.runId
      const foreign = (yield* stack.orchestrator.create(request("globex"))).run.run.runId
      yield* stack.orchestrator.awaitIdle
      const notFound = yield* Effect.flip(stack.orchestrator.get("acme", foreign))
      expect((notFound as { reason: string }).reason).toBe("not-found")
      const page1 = yield* stack.orchestrator.list("acme", { limit: 2 })
      expect(page1.items.map((v) => v.run.runId)).toEqual([other, mine[2]])
      const page2 = yield* stack.orchestrator.list("acme", { limit: 2, cursor: page1.nextCursor! })
      expect(page2.items.map((v) => v.run.runId)).toEqual([mine[1], mine[0]])
      expect(page2.nextCursor).toBeUndefined()
      const byService = yield* stack.orchestrator.list("acme", { actorId: "svc-1" })
      expect(byService.items.map((v) => v.run.runId)).toEqual([other])
      const completed = yield* stack.orchestrator.list("acme", { state: "COMPLETED" })
      expect(completed.items).toHaveLength(4)
      expect(completed.items.every((v) => v.output === "ok")).toBe(true)
      const badState = yield* Effect.flip(stack.orchestrator.list("acme", { state: "DONE" as never }))
      expect(badState).toBeInstanceOf(InvalidInputError)
      const events = yield* Effect.flip(stack.orchestrator.events("globex", mine[0]!))
      expect((events as { reason: string }).reason).toBe("not-found")
      expect((yield* Effect.flip(stack.orchestrator.get("acme", newId()))).message).toMatch(/not-found/)
    })
  )

  it.live("fair lanes: a busy instance does not starve another; within an instance runs start in order", () =>
    Effect.gen(function* () {
      const starts: Array<string> = []
      const stack = yield* makeStack({
        script: () => ({ text: "ok", delayMs: 5 }),
        orchestrator: {
          lanes: single,
          onEvent: (e) => {
            if (e.type === "run.state_changed" && e.payload.to === "RUNNING")
              starts.push(e.customerInstanceId)
          }
        }
      })
      const acme = []
      for (let i = 0; i < 8; i++) acme.push((yield* stack.orchestrator.create(request("acme"))).run.run.runId)
      yield* stack.orchestrator.create(request("globex"))
      yield* stack.orchestrator.awaitIdle
      // One slot: globex waits for at most one acme run besides the one already running.
      expect(starts.indexOf("globex")).toBeLessThanOrEqual(2)
      expect(starts).toHaveLength(9)
      const started = (yield* stack.orchestrator.list("acme", { limit: 100 })).items
      expect(started.every((v) => v.run.state === "COMPLETED")).toBe(true)
    })
  )

  it.live("concurrency limits hold: never more runs RUNNING than the lanes allow", () =>
    Effect.gen(function* () {
      let running = 0
      let peak = 0
      const stack = yield* makeStack({
        script: () => ({ text: "ok", delayMs: 50 }),
        orchestrator: {
          lanes: {
            globalConcurrency: 3,
            instanceConcurrency: 2,
            globalQueueLimit: 100,
            instanceQueueLimit: 100
          },
          onEvent: (e) => {
            if (e.type !== "run.state_changed") return
            if (e.payload.to === "RUNNING") peak = Math.max(peak, ++running)
            if (e.payload.to === "COMPLETED") running--
          }
        }
      })
      for (let i = 0; i < 6; i++) yield* stack.orchestrator.create(request("acme"))
      for (let i = 0; i < 6; i++) yield* stack.orchestrator.create(request("globex"))
      yield* stack.orchestrator.awaitIdle
      expect(peak).toBeLessThanOrEqual(3)
      // Work-conserving: runs of both instances overlapped up to the limits.
      expect(peak).toBeGreaterThanOrEqual(2)
    })
  )

  it.live("a full queue refuses a run with queue-full and writes nothing", () =>
    Effect.gen(function* () {
      const stack = yield* makeStack({
        script: () => ({ text: "ok", delayMs: 20_000 }),
        orchestrator: {
          lanes: {
            globalConcurrency: 2,
            instanceConcurrency: 1,
            globalQueueLimit: 100,
            instanceQueueLimit: 2
          }
        }
      })
      // One running, two queued: the instance's queue is full.
      const ids: Array<readonly [string, string]> = []
      for (let i = 0; i < 3; i++)
        ids.push(["acme", (yield* stack.orchestrator.create(request("acme"))).run.run.runId])
      const error = yield* Effect.flip(stack.orchestrator.create(request("acme")))
      expect((error as { reason: string }).reason).toBe("queue-full")
      expect(error.message).toMatch(/already has 2 runs waiting/)
      expect((yield* stack.orchestrator.list("acme")).items).toHaveLength(3)
      // Other instances still get in.
      ids.push(["globex", (yield* stack.orchestrator.create(request("globex"))).run.run.runId])
      const by = { actor: { kind: "system" as const, id: "test", roles: [] } }
      for (const [ci, runId] of ids) yield* stack.orchestrator.cancel(ci, runId, by)
      yield* stack.orchestrator.awaitIdle
    })
  )
})
