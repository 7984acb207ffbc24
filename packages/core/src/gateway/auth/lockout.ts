/**
 * Brute-force lockout: counts authentication failures per key (a key id or a client address)
 * and locks a key out once it fails `threshold` times within `windowMs`. Each lock lasts
 * `lockMs`, doubling for every further lock up to `maxLockMs`; a key that stays quiet for
 * `maxLockMs` after its last lock starts over. Synchronous and in memory: the check runs on
 * every request before any storage is touched.
 *
 * Memory is bounded: at most `maxEntries` keys are tracked; the least recently touched one is
 * forgotten first. Flooding the table with fresh addresses can make it forget an older lock,
 * which is why keys carry 256 random bits: the lockout stops noisy guessing and log spam, it is
 * not what keeps a key secret.
 */

/** Limits of one lockout table. */
export interface LockoutLimits {
  readonly threshold: number
  readonly windowMs: number
  readonly lockMs: number
  readonly maxLockMs: number
  readonly maxEntries: number
}

/** Defaults per key id: 5 wrong secrets in 15 minutes lock the key for 1 minute, then 2, 4, ... 60. */
export const defaultKeyLockout: LockoutLimits = {
  threshold: 5,
  windowMs: 15 * 60_000,
  lockMs: 60_000,
  maxLockMs: 60 * 60_000,
  maxEntries: 10_000
}

/** Defaults per client address: 20 failures of any kind in 5 minutes lock the address out. */
export const defaultAddressLockout: LockoutLimits = {
  threshold: 20,
  windowMs: 5 * 60_000,
  lockMs: 60_000,
  maxLockMs: 60 * 60_000,
  maxEntries: 50_000
}

interface Entry {
  failures: number
  windowStart: number
  lockedUntil: number
  locks: number
}

/** What a check or a failure says about a key. */
export type LockState =
  | { readonly locked: false }
  | { readonly locked: true; readonly retryAfterMs: number; readonly lockedNow: boolean }

const open: LockState = { locked: false }

/** One lockout table. */
export class Lockout {
  private readonly entries = new Map<string, Entry>()

  constructor(readonly limits: LockoutLimits) {}

  /** Keys tracked now (bounded by `maxEntries`). */
  get size(): number {
    return this.entries.size
  }

  /** Whether `key` is locked out at `now`. */
  check(key: string, now: number): LockState {
    const entry = this.entries.get(key)
    if (entry === undefined || entry.lockedUntil <= now) return open
    return { locked: true, retryAfterMs: entry.lockedUntil - now, lockedNow: false }
  }

  /** Counts one failure; the answer says whether this failure locked the key. */
  fail(key: string, now: number): LockState {
    const { threshold, windowMs, lockMs, maxLockMs } = this.limits
    let entry = this.entries.get(key)
    if (entry === undefined) {
      entry = { failures: 0, windowStart: now, lockedUntil: 0, locks: 0 }
    } else {
      this.entries.delete(key)
      if (entry.lockedUntil > now) {
        this.entries.set(key, entry)
        return { locked: true, retryAfterMs: entry.lockedUntil - now, lockedNow: false }
      }
      if (entry.locks > 0 && now - entry.lockedUntil >= maxLockMs) entry.locks = 0
      if (now - entry.windowStart >= windowMs) {
        entry.failures = 0
        entry.windowStart = now
      }
    }
    entry.failures++
    this.entries.set(key, entry)
    this.evict()
    if (entry.failures < threshold) return open
    const duration = Math.min(lockMs * 2 ** Math.min(entry.locks, 30), maxLockMs)
    entry.locks++
    entry.failures = 0
    entry.windowStart = now
    entry.lockedUntil = now + duration
    return { locked: true, retryAfterMs: duration, lockedNow: true }
  }

  /** Forgets the failures of `key` (a correct secret for a key that is not locked). */
  succeed(key: string): void {
    const entry = this.entries.get(key)
    if (entry !== undefined && entry.locks === 0) this.entries.delete(key)
    else if (entry !== undefined) entry.failures = 0
  }

  private evict(): void {
    while (this.entries.size > this.limits.maxEntries) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) return
      this.entries.delete(oldest)
    }
  }
}
