import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { type LaneLimits, LaneScheduler, QueueFullError } from "../../src/orchestrator/index.js"

const limits = (over: Partial<LaneLimits> = {}): LaneLimits => ({
  globalConcurrency: 4,
  instanceConcurrency: 2,
  globalQueueLimit: 100,
  instanceQueueLimit: 50,
  ...over
})

const enqueueAll = (s: LaneScheduler.LaneScheduler<string>, id: string, items: ReadonlyArray<string>) =>
  items.map((item) => Result.getOrThrow(s.enqueue(id, item)))

const drainOrder = (s: LaneScheduler.LaneScheduler<string>): Array<string> => {
  const order: Array<string> = []
  for (let t = s.dispatch(); t !== undefined; t = s.dispatch()) {
    order.push(`${t.customerInstanceId}:${t.item}`)
    s.release(t)
  }
  return order
}

describe("lane scheduler", () => {
  it("runs one instance's items in the order they were queued", () => {
    const s = LaneScheduler.make<string>(limits())
    enqueueAll(s, "acme", ["a", "b", "c"])
    expect(drainOrder(s)).toEqual(["acme:a", "acme:b", "acme:c"])
  })

  it("takes turns between instances, so a busy one cannot starve a quiet one", () => {
    const s = LaneScheduler.make<string>(limits({ globalConcurrency: 1 }))
    enqueueAll(s, "busy", ["1", "2", "3", "4", "5"])
    enqueueAll(s, "quiet", ["x"])
    expect(drainOrder(s).slice(0, 3)).toEqual(["busy:1", "quiet:x", "busy:2"])
  })

  it("gives an instance of weight 2 two turns for each turn of weight 1", () => {
    const s = LaneScheduler.make<string>(limits({ globalConcurrency: 1, instances: { gold: { weight: 2 } } }))
    enqueueAll(s, "gold", ["1", "2", "3", "4"])
    enqueueAll(s, "basic", ["a", "b"])
    expect(drainOrder(s)).toEqual(["gold:1", "gold:2", "basic:a", "gold:3", "gold:4", "basic:b"])
  })

  it("holds the per-instance concurrency limit, and lets other instances use the free global slots", () => {
    const s = LaneScheduler.make<string>(limits({ globalConcurrency: 3, instanceConcurrency: 1 }))
    enqueueAll(s, "acme", ["a1", "a2"])
    enqueueAll(s, "globex", ["g1"])
    const first = s.dispatch()
    const second = s.dispatch()
    expect([first?.item, second?.item, s.dispatch()]).toEqual(["a1", "g1", undefined])
    expect(s.lane("acme")).toEqual({ running: 1, queued: 1 })
    s.release(first!)
    expect(s.dispatch()?.item).toBe("a2")
  })

  it("honours per-instance concurrency overrides", () => {
    const s = LaneScheduler.make<string>(
      limits({ instanceConcurrency: 1, instances: { big: { concurrency: 3 } } })
    )
    enqueueAll(s, "big", ["1", "2", "3", "4"])
    const started = [s.dispatch(), s.dispatch(), s.dispatch(), s.dispatch()]
    expect(started.map((t) => t?.item)).toEqual(["1", "2", "3", undefined])
  })

  it("refuses work past the instance queue cap with a typed error, and queues nothing", () => {
    const s = LaneScheduler.make<string>(limits({ instanceQueueLimit: 2 }))
    enqueueAll(s, "acme", ["a", "b"])
    const refused = Result.merge(s.enqueue("acme", "c")) as QueueFullError
    expect(refused).toBeInstanceOf(QueueFullError)
    expect([refused.reason, refused.customerInstanceId, refused.limit]).toEqual([
      "instance-queue-full",
      "acme",
      2
    ])
    expect(refused.message).toBe("customer instance acme already has 2 runs waiting, its limit; retry later")
    expect(s.lane("acme").queued).toBe(2)
    expect(Result.isSuccess(s.enqueue("globex", "g"))).toBe(true)
  })

  it("refuses work past the global queue cap, whichever instance asks", () => {
    const s = LaneScheduler.make<string>(limits({ globalQueueLimit: 3 }))
    enqueueAll(s, "a", ["1", "2"])
    enqueueAll(s, "b", ["1"])
    const refused = Result.merge(s.enqueue("c", "1")) as QueueFullError
    expect(refused.reason).toBe("global-queue-full")
    expect(refused.message).toMatch(/3 runs are already waiting across all customer instances/)
    expect(s.stats()).toEqual({ running: 0, queued: 3, activeInstances: 2 })
  })

  it("counts only waiting items toward the queue caps, not running ones", () => {
    const s = LaneScheduler.make<string>(limits({ instanceQueueLimit: 1 }))
    enqueueAll(s, "acme", ["a"])
    s.dispatch()
    expect(Result.isSuccess(s.enqueue("acme", "b"))).toBe(true)
  })

  it("removes a cancelled item from the queue; it never runs", () => {
    const s = LaneScheduler.make<string>(limits())
    const [a, b] = enqueueAll(s, "acme", ["a", "b"])
    expect(s.cancel(a!)).toBe(true)
    expect(s.cancel(a!)).toBe(false)
    expect(drainOrder(s)).toEqual(["acme:b"])
    expect(s.cancel(b!)).toBe(false)
  })

  it("releases a slot once: a second release of the same ticket changes nothing", () => {
    const s = LaneScheduler.make<string>(limits({ globalConcurrency: 1 }))
    enqueueAll(s, "acme", ["a", "b", "c"])
    const a = s.dispatch()!
    expect(s.release(a)).toBe(true)
    s.dispatch()
    expect(s.release(a)).toBe(false)
    expect(s.stats().running).toBe(1)
  })

  it("forgets idle instances, so memory does not grow with the number of instances ever seen", () => {
    const s = LaneScheduler.make<string>(limits())
    for (let i = 0; i < 1000; i++) {
      const t = Result.getOrThrow(s.enqueue(`i-${i}`, "x"))
      s.release(s.dispatch()!)
      expect(t.customerInstanceId).toBe(`i-${i}`)
    }
    expect(s.stats()).toEqual({ running: 0, queued: 0, activeInstances: 0 })
  })
})

// Random interleavings of everything a scheduler can be asked, checked against a plain model.
type Op =
  | { readonly op: "enqueue"; readonly instance: number }
  | { readonly op: "dispatch" }
  | { readonly op: "release"; readonly pick: number }
  | { readonly op: "cancel"; readonly pick: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("enqueue" as const), instance: fc.nat(5) }) },
  { weight: 4, arbitrary: fc.constant({ op: "dispatch" as const }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("release" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("cancel" as const), pick: fc.nat() }) }
)

const limitsArb: fc.Arbitrary<LaneLimits> = fc
  .record({
    globalConcurrency: fc.integer({ min: 1, max: 6 }),
    instanceConcurrency: fc.integer({ min: 1, max: 4 }),
    globalQueueLimit: fc.integer({ min: 1, max: 30 }),
    instanceQueueLimit: fc.integer({ min: 1, max: 12 }),
    weights: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 6, maxLength: 6 }),
    concurrencies: fc.array(fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }), {
      minLength: 6,
      maxLength: 6
    })
  })
  .map(({ weights, concurrencies, ...rest }) => ({
    ...rest,
    instances: Object.fromEntries(
      weights.map((weight, i) => [
        `i${i}`,
        concurrencies[i] === undefined ? { weight } : { weight, concurrency: concurrencies[i] }
      ])
    )
  }))

const weightOf = (l: LaneLimits, id: string) => l.instances?.[id]?.weight ?? 1
const concurrencyOf = (l: LaneLimits, id: string) => l.instances?.[id]?.concurrency ?? l.instanceConcurrency

interface Model {
  readonly queued: Map<string, Array<LaneScheduler.Ticket<number>>>
  readonly running: Array<LaneScheduler.Ticket<number>>
}

const runOps = (l: LaneLimits, ops: ReadonlyArray<Op>) => {
  const s = LaneScheduler.make<number>(l)
  const model: Model = { queued: new Map(), running: [] }
  const queuedOf = (id: string) => model.queued.get(id) ?? []
  const runningOf = (id: string) => model.running.filter((t) => t.customerInstanceId === id).length
  const totalQueued = () => [...model.queued.values()].reduce((n, q) => n + q.length, 0)
  const ready = (id: string) => queuedOf(id).length > 0 && runningOf(id) < concurrencyOf(l, id)
  const instances = [...Array(6).keys()].map((i) => `i${i}`)
  const waits = new Map<string, number>()
  // The instances that competed (were ready at a dispatch) during each instance's current wait.
  const rivals = new Map<string, Set<string>>()
  const dispatched: Array<number> = []
  let seq = 0

  const dispatch = () => {
    const canRun = model.running.length < l.globalConcurrency && instances.some(ready)
    const readyBefore = instances.filter(ready)
    const t = s.dispatch()
    // Work-conserving: it dispatches whenever any item may start, and only then.
    expect(t !== undefined).toBe(canRun)
    if (t === undefined) return
    const q = queuedOf(t.customerInstanceId)
    // FIFO within an instance, and only from an instance with room.
    expect(t).toBe(q[0])
    expect(runningOf(t.customerInstanceId)).toBeLessThan(concurrencyOf(l, t.customerInstanceId))
    q.shift()
    model.running.push(t)
    dispatched.push(t.item)
    // Fairness: an instance that stays ready waits at most the others' total weight.
    for (const id of readyBefore) {
      if (id === t.customerInstanceId) {
        waits.delete(id)
        rivals.delete(id)
      } else {
        const wait = (waits.get(id) ?? 0) + 1
        const seen = rivals.get(id) ?? new Set<string>()
        for (const other of readyBefore) if (other !== id) seen.add(other)
        const bound = [...seen].reduce((n, o) => n + weightOf(l, o), 0)
        expect(wait).toBeLessThanOrEqual(bound)
        waits.set(id, wait)
        rivals.set(id, seen)
      }
    }
  }

  for (const op of ops) {
    const before = new Set(instances.filter(ready))
    switch (op.op) {
      case "enqueue": {
        const id = `i${op.instance}`
        const result = s.enqueue(id, seq++)
        const instanceFull = queuedOf(id).length >= (l.instances?.[id]?.queueLimit ?? l.instanceQueueLimit)
        const globalFull = totalQueued() >= l.globalQueueLimit
        if (Result.isSuccess(result)) {
          expect(instanceFull || globalFull).toBe(false)
          model.queued.set(id, [...queuedOf(id), result.success])
        } else {
          expect(result.failure.reason).toBe(instanceFull ? "instance-queue-full" : "global-queue-full")
        }
        break
      }
      case "dispatch":
        dispatch()
        break
      case "release": {
        if (model.running.length === 0) break
        const [t] = model.running.splice(op.pick % model.running.length, 1)
        expect(s.release(t!)).toBe(true)
        break
      }
      case "cancel": {
        const all = instances.flatMap(queuedOf)
        if (all.length === 0) break
        const t = all[op.pick % all.length]!
        expect(s.cancel(t)).toBe(true)
        model.queued.set(
          t.customerInstanceId,
          queuedOf(t.customerInstanceId).filter((x) => x !== t)
        )
        break
      }
    }
    // An instance that stopped being ready (and rejoins later) starts a new wait.
    for (const id of before) {
      if (!ready(id)) {
        waits.delete(id)
        rivals.delete(id)
      }
    }
    // Never over a limit, and the counts match the model.
    expect(s.stats().running).toBe(model.running.length)
    expect(s.stats().running).toBeLessThanOrEqual(l.globalConcurrency)
    expect(s.stats().queued).toBe(totalQueued())
    expect(s.stats().queued).toBeLessThanOrEqual(l.globalQueueLimit)
    for (const id of instances) {
      expect(s.lane(id)).toEqual({ running: runningOf(id), queued: queuedOf(id).length })
      expect(runningOf(id)).toBeLessThanOrEqual(concurrencyOf(l, id))
    }
  }
  return { s, model, dispatch, dispatched }
}

describe("lane scheduler properties", () => {
  it("never exceeds a limit, dispatches whenever it can, in FIFO order per instance, fairly", () => {
    fc.assert(
      fc.property(limitsArb, fc.array(opArb, { maxLength: 300 }), (l, ops) => {
        runOps(l, ops)
      }),
      { numRuns: 300 }
    )
  })

  it("eventually runs every queued item exactly once", () => {
    fc.assert(
      fc.property(limitsArb, fc.array(opArb, { maxLength: 200 }), (l, ops) => {
        const { s, model, dispatch, dispatched } = runOps(l, ops)
        const waiting = [...model.queued.values()].flat().map((t) => t.item)
        const before = dispatched.length
        // Drain: finish everything running, start what may start; bounded by the items left.
        for (
          let round = 0;
          round <= waiting.length + 1 && (model.running.length > 0 || s.stats().queued > 0);
          round++
        ) {
          for (const t of model.running.splice(0)) s.release(t)
          while (model.running.length < l.globalConcurrency && s.stats().queued > 0) {
            const n = model.running.length
            dispatch()
            if (model.running.length === n) break
          }
        }
        expect(s.stats()).toEqual({ running: 0, queued: 0, activeInstances: 0 })
        expect(dispatched.slice(before).sort((a, b) => a - b)).toEqual([...waiting].sort((a, b) => a - b))
        expect(new Set(dispatched).size).toBe(dispatched.length)
      }),
      { numRuns: 200 }
    )
  })

  it("with N instances each having work, every instance is served within N dispatches", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 12, maxLength: 12 }),
        (n, backlog) => {
          const s = LaneScheduler.make<number>(
            // Instances have room to run more, so only the turn order decides who goes next.
            limits({ globalConcurrency: 1, instanceConcurrency: 10, globalQueueLimit: 1000 })
          )
          // Every instance keeps work queued: whoever is served queues another item.
          for (let i = 0; i < n; i++) for (let k = 0; k < backlog[i]!; k++) s.enqueue(`i${i}`, k)
          const lastServed = new Map<string, number>()
          for (let step = 0; step < 10 * n; step++) {
            const t = s.dispatch()!
            const since = step - (lastServed.get(t.customerInstanceId) ?? -1)
            expect(since).toBeLessThanOrEqual(n)
            lastServed.set(t.customerInstanceId, step)
            s.release(t)
            s.enqueue(t.customerInstanceId, step)
          }
          expect(lastServed.size).toBe(n)
        }
      ),
      { numRuns: 100 }
    )
  })
})
