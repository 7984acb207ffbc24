/** Per-key token buckets: `capacity` calls at once, refilled at `perSecond`. */
export interface RateLimiter {
  /** Takes one token for `key`; false when the bucket is empty (the call is refused). */
  readonly tryTake: (key: string, now?: number) => boolean
}

/** Rate limit settings for tool calls of one customer instance. */
export interface RateLimit {
  readonly capacity: number
  readonly perSecond: number
}

/**
 * An in-process token bucket per key. Limits hold per process; a deployment with several
 * replicas divides its intended limit by the replica count (documented in the tool runtime).
 */
export const makeRateLimiter = (
  limitFor: (key: string) => RateLimit | undefined,
  maxKeys = 100_000
): RateLimiter => {
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    tryTake: (key, now = performance.now()) => {
      const limit = limitFor(key)
      if (limit === undefined) return true
      let bucket = buckets.get(key)
      if (bucket === undefined) {
        // Bounded memory: forget the oldest bucket (a fresh one starts full, which only ever errs on allowing).
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string)
        bucket = { tokens: limit.capacity, at: now }
        buckets.set(key, bucket)
      }
      bucket.tokens = Math.min(limit.capacity, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond)
      bucket.at = now
      if (bucket.tokens < 1) return false
      bucket.tokens -= 1
      return true
    }
  }
}
