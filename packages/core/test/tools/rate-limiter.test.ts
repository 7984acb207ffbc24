import { describe, expect, it } from "vitest"
import { makeRateLimiter } from "../../src/tools/RateLimiter.js"

describe("rate limiter", () => {
  it("allows a burst up to capacity, then refuses until tokens refill", () => {
    const limiter = makeRateLimiter(() => ({ capacity: 3, perSecond: 1 }))
    const taken = [0, 0, 0, 0].map(() => limiter.tryTake("acme", 0))
    expect(taken).toEqual([true, true, true, false])
    expect(limiter.tryTake("acme", 999)).toBe(false)
    expect(limiter.tryTake("acme", 1000)).toBe(true)
  })

  it("keeps one bucket per key", () => {
    const limiter = makeRateLimiter(() => ({ capacity: 1, perSecond: 0.001 }))
    expect(limiter.tryTake("acme", 0)).toBe(true)
    expect(limiter.tryTake("acme", 0)).toBe(false)
    expect(limiter.tryTake("globex", 0)).toBe(true)
  })

  it("does not limit keys without a limit", () => {
    const limiter = makeRateLimiter(() => undefined)
    expect(Array.from({ length: 100 }, () => limiter.tryTake("x")).every(Boolean)).toBe(true)
  })
})
