import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { type LaneLimits, Lanes, QueueFullError } from "../../src/orchestrator/index.js"

const limits = (over: Partial<LaneLimits> = {}): LaneLimits => ({
  globalConcurrency: 2,
  instanceConcurrency: 1,
  globalQueueLimit: 100,
  instanceQueueLimit: 100,
  ...over
})

/** Work that records how many pieces run at once, per instance and in total. */
const gauge = () => {
  let now = 0
  let peak = 0
  const perInstance = new Map<string, { now: number; peak: number }>()
  const work = (id: string, ms: number) =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        now++
        peak = Math.max(peak, now)
        const p = perInstance.get(id) ?? { now: 0, peak: 0 }
        p.now++
        p.peak = Math.max(p.peak, p.now)
        perInstance.set(id, p)
      }),
      () => Effect.sleep(`${ms} millis`),
      () =>
        Effect.sync(() => {
          now--
          perInstance.get(id)!.now--
        })
    )
  return { work, peak: () => peak, peakOf: (id: string) => perInstance.get(id)?.peak ?? 0 }
}

describe("lanes (Effect)", () => {
  it.live("run work within the per-instance and global limits", () =>
    Effect.gen(function* () {
      const lanes = Lanes.make(limits({ globalConcurrency: 3, instanceConcurrency: 2 }))
      const g = gauge()
      const jobs = ["a", "a", "a", "a", "b", "b", "b", "c", "c"].map((id) => lanes.run(id, g.work(id, 5)))
      yield* Effect.all(jobs, { concurrency: "unbounded" })
      expect(g.peak()).toBe(3)
      for (const id of ["a", "b", "c"]) expect(g.peakOf(id)).toBeLessThanOrEqual(2)
      expect(lanes.stats()).toEqual({ running: 0, queued: 0, activeInstances: 0 })
    })
  )

  it.live("return the work's value and fail with the work's error, freeing the slot either way", () =>
    Effect.gen(function* () {
      const lanes = Lanes.make(limits({ globalConcurrency: 1 }))
      expect(yield* lanes.run("a", Effect.succeed(42))).toBe(42)
      const failed = yield* Effect.flip(lanes.run("a", Effect.fail("tool exploded")))
      expect(failed).toBe("tool exploded")
      const died = yield* Effect.exit(lanes.run("a", Effect.die(new Error("defect"))))
      expect(Exit.isFailure(died)).toBe(true)
      expect(yield* lanes.run("a", Effect.succeed("still works"))).toBe("still works")
      expect(lanes.stats().running).toBe(0)
    })
  )

  it.live("refuse work with QueueFullError when the queue is full, and run nothing for it", () =>
    Effect.gen(function* () {
      const lanes = Lanes.make(limits({ globalConcurrency: 1, instanceQueueLimit: 1 }))
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(lanes.run("a", Deferred.await(gate)))
      yield* Effect.yieldNow
      const waiting = yield* Effect.forkChild(lanes.run("a", Effect.succeed("second")))
      yield* Effect.yieldNow
      let ran = false
      const refused = yield* Effect.flip(
        lanes.run(
          "a",
          Effect.sync(() => (ran = true))
        )
      )
      expect(refused).toBeInstanceOf(QueueFullError)
      expect(ran).toBe(false)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      expect(yield* Fiber.join(waiting)).toBe("second")
    })
  )

  it.live("take work interrupted while queued out of the queue; it never starts", () =>
    Effect.gen(function* () {
      const lanes = Lanes.make(limits({ globalConcurrency: 1 }))
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(lanes.run("a", Deferred.await(gate)))
      yield* Effect.yieldNow
      let started = false
      const queued = yield* Effect.forkChild(
        lanes.run(
          "b",
          Effect.sync(() => (started = true))
        )
      )
      yield* Effect.yieldNow
      expect(lanes.lane("b")).toEqual({ running: 0, queued: 1 })
      yield* Fiber.interrupt(queued)
      expect(lanes.lane("b")).toEqual({ running: 0, queued: 0 })
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      expect(started).toBe(false)
      expect(lanes.stats()).toEqual({ running: 0, queued: 0, activeInstances: 0 })
    })
  )

  it.live("free the slot of running work that is interrupted, and hand it to the next in line", () =>
    Effect.gen(function* () {
      const lanes = Lanes.make(limits({ globalConcurrency: 1 }))
      const running = yield* Effect.forkChild(lanes.run("a", Effect.never))
      yield* Effect.yieldNow
      const next = yield* Effect.forkChild(lanes.run("b", Effect.succeed("next ran")))
      yield* Effect.yieldNow
      expect(lanes.stats()).toMatchObject({ running: 1, queued: 1 })
      yield* Fiber.interrupt(running)
      expect(yield* Fiber.join(next)).toBe("next ran")
    })
  )

  it.live("serve a quiet instance between the items of a busy one", () =>
    Effect.gen(function* () {
      const lanes = Lanes.make(limits({ globalConcurrency: 1, instanceConcurrency: 1 }))
      const order: Array<string> = []
      const job = (id: string, n: number) =>
        lanes.run(
          id,
          Effect.sync(() => order.push(`${id}${n}`))
        )
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(lanes.run("busy", Deferred.await(gate)))
      yield* Effect.yieldNow
      const fibers = [] as Array<Fiber.Fiber<number, QueueFullError>>
      for (let i = 1; i <= 4; i++) fibers.push(yield* Effect.forkChild(job("busy", i)))
      fibers.push(yield* Effect.forkChild(job("quiet", 1)))
      yield* Effect.yieldNow
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      for (const f of fibers) yield* Fiber.join(f)
      expect(order.indexOf("quiet1")).toBeLessThanOrEqual(1)
    })
  )
})

describe("lanes under load", () => {
  it.live("hold every limit and leak no slot while work finishes, fails and is interrupted at random", () =>
    Effect.gen(function* () {
      const l = limits({
        globalConcurrency: 5,
        instanceConcurrency: 2,
        instanceQueueLimit: 30,
        globalQueueLimit: 120
      })
      const lanes = Lanes.make(l)
      const g = gauge()
      // A fixed pseudo-random sequence keeps the test reproducible.
      let seed = 20261124
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31
        return seed / 2 ** 31
      }
      const fibers = []
      for (let i = 0; i < 200; i++) {
        const id = `i${Math.floor(random() * 6)}`
        const work =
          random() < 0.2
            ? Effect.flatMap(g.work(id, 1), () => Effect.fail("failed"))
            : g.work(id, Math.floor(random() * 4))
        fibers.push({
          fiber: yield* Effect.forkChild(Effect.exit(lanes.run(id, work))),
          interrupt: random() < 0.3
        })
        if (random() < 0.3) yield* Effect.sleep("1 millis")
      }
      for (const { fiber, interrupt } of fibers) if (interrupt) yield* Fiber.interrupt(fiber)
      const exits = []
      for (const { fiber } of fibers) exits.push(yield* Fiber.await(fiber))
      expect(exits).toHaveLength(200)
      expect(g.peak()).toBeLessThanOrEqual(5)
      for (let i = 0; i < 6; i++) expect(g.peakOf(`i${i}`)).toBeLessThanOrEqual(2)
      expect(lanes.stats()).toEqual({ running: 0, queued: 0, activeInstances: 0 })
    })
  )
})

describe("lanes (Promise)", () => {
  it("run a Promise task in a lane and resolve with its value", async () => {
    const lanes = Lanes.make(limits())
    expect(await lanes.runPromise("acme", async () => "done")).toBe("done")
  })

  it("reject with the task's own error, or with QueueFullError when refused", async () => {
    const lanes = Lanes.make(limits({ globalConcurrency: 1, instanceQueueLimit: 1 }))
    const boom = new Error("boom")
    await expect(lanes.runPromise("acme", async () => Promise.reject(boom))).rejects.toBe(boom)
    let release!: () => void
    const holding = lanes.runPromise("acme", () => new Promise<void>((r) => (release = r)))
    const queued = lanes.runPromise("acme", async () => "queued")
    await expect(lanes.runPromise("acme", async () => "third")).rejects.toBeInstanceOf(QueueFullError)
    release()
    await holding
    expect(await queued).toBe("queued")
  })

  it("abort the task's signal when the caller's signal fires", async () => {
    const lanes = Lanes.make(limits())
    const controller = new AbortController()
    let seen: AbortSignal | undefined
    const task = lanes.runPromise(
      "acme",
      (signal) => {
        seen = signal
        return new Promise<never>(() => {})
      },
      { signal: controller.signal }
    )
    await new Promise((r) => setTimeout(r, 10))
    controller.abort()
    await expect(task).rejects.toBeDefined()
    expect(seen?.aborted).toBe(true)
    expect(lanes.stats().running).toBe(0)
  })
})
