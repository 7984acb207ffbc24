import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Lockout } from "../../src/gateway/auth/lockout.js"

const limits = { threshold: 3, windowMs: 1000, lockMs: 100, maxLockMs: 800, maxEntries: 50 }

describe("the lockout table", () => {
  it("locks on the threshold-th failure within the window, and not before", () => {
    const table = new Lockout(limits)
    expect(table.fail("k", 0).locked).toBe(false)
    expect(table.fail("k", 10).locked).toBe(false)
    expect(table.fail("k", 20)).toEqual({ locked: true, retryAfterMs: 100, lockedNow: true })
    expect(table.check("k", 50)).toEqual({ locked: true, retryAfterMs: 70, lockedNow: false })
    expect(table.check("k", 120).locked).toBe(false)
  })

  it("forgets failures older than the window", () => {
    const table = new Lockout(limits)
    table.fail("k", 0)
    table.fail("k", 10)
    expect(table.fail("k", 1500).locked).toBe(false)
  })

  it("doubles each further lock up to the maximum", () => {
    const table = new Lockout(limits)
    const durations: Array<number> = []
    let now = 0
    for (let lock = 0; lock < 6; lock++) {
      let state = table.fail("k", now)
      while (!state.locked) state = table.fail("k", now)
      if (state.locked) durations.push(state.retryAfterMs)
      now += state.locked ? state.retryAfterMs : 0
    }
    expect(durations).toEqual([100, 200, 400, 800, 800, 800])
  })

  it("a success clears the count of a key that is not locked", () => {
    const table = new Lockout(limits)
    table.fail("k", 0)
    table.fail("k", 1)
    table.succeed("k")
    expect(table.fail("k", 2).locked).toBe(false)
    expect(table.fail("k", 3).locked).toBe(false)
  })

  it("property: memory stays bounded however many keys fail", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 100, maxLength: 3000 }),
        (keys) => {
          const table = new Lockout(limits)
          keys.forEach((key, i) => {
            table.fail(String(key), i)
            expect(table.size).toBeLessThanOrEqual(limits.maxEntries)
          })
        }
      ),
      { numRuns: 50 }
    )
  })

  it("property: within one window, no tracked key fails threshold times without being locked", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 10, maxLength: 500 }), (keys) => {
        // Fewer keys than the table holds and all failures in one window: nothing is evicted or forgotten.
        const table = new Lockout({ ...limits, lockMs: 10_000, maxLockMs: 10_000 })
        const unlocked = new Map<number, number>()
        for (const key of keys) {
          if (table.fail(String(key), 0).locked) unlocked.set(key, 0)
          else unlocked.set(key, (unlocked.get(key) ?? 0) + 1)
          expect(unlocked.get(key)).toBeLessThan(limits.threshold)
        }
      }),
      { numRuns: 200 }
    )
  })
})
