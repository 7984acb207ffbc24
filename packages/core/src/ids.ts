import { randomFillSync } from "node:crypto"
import { validate, version } from "uuid"

const hex = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"))

/** Where a generator gets its time and its randomness; injectable so tests can drive both. */
export interface IdSource {
  /** Milliseconds since the Unix epoch. */
  readonly now: () => number
  /** Fills `bytes` with cryptographically strong random bytes. */
  readonly fill: (bytes: Uint8Array) => void
}

const systemSource: IdSource = { now: Date.now, fill: (bytes) => void randomFillSync(bytes) }

/**
 * Makes a UUIDv7 generator (RFC 9562): 48 bits of Unix milliseconds, then a 32-bit counter
 * (RFC 9562 section 6.2, method 1: seeded with 31 random bits at each new millisecond and
 * incremented within one, so ids of one generator strictly increase even when many share a
 * millisecond or the clock steps back; on the rare counter wrap the timestamp moves one
 * millisecond ahead), then 42 random bits. Randomness is drawn in pooled blocks: one
 * `randomFillSync` per 256 ids instead of one per id, as Node's own `randomUUID` does.
 */
export const makeIdGenerator = (source: IdSource = systemSource): (() => string) => {
  const pool = new Uint8Array(16 * 256)
  let offset = pool.length
  let lastMs = Number.NEGATIVE_INFINITY
  let seq = 0
  const at = (i: number): number => pool[i] as number
  return () => {
    if (offset === pool.length) {
      source.fill(pool)
      offset = 0
    }
    const r = offset
    offset += 16
    const now = source.now()
    if (now > lastMs) {
      lastMs = now
      seq = ((at(r) & 0x7f) << 24) | (at(r + 1) << 16) | (at(r + 2) << 8) | at(r + 3)
    } else {
      seq = (seq + 1) | 0
      if (seq === 0) lastMs++
    }
    const ms = lastMs
    // Same bit layout as the `uuid` package's v7, so ids from before and after compare alike.
    return (
      hex[(ms / 0x10000000000) & 0xff]! +
      hex[(ms / 0x100000000) & 0xff]! +
      hex[(ms / 0x1000000) & 0xff]! +
      hex[(ms / 0x10000) & 0xff]! +
      "-" +
      hex[(ms / 0x100) & 0xff]! +
      hex[ms & 0xff]! +
      "-" +
      hex[0x70 | ((seq >>> 28) & 0x0f)]! +
      hex[(seq >>> 20) & 0xff]! +
      "-" +
      hex[0x80 | ((seq >>> 14) & 0x3f)]! +
      hex[(seq >>> 6) & 0xff]! +
      "-" +
      hex[((seq << 2) & 0xff) | (at(r + 4) & 0x03)]! +
      hex[at(r + 5)]! +
      hex[at(r + 6)]! +
      hex[at(r + 7)]! +
      hex[at(r + 8)]! +
      hex[at(r + 9)]!
    )
  }
}

/**
 * Mints a new identifier. Every BGA id (runs, events, decisions, invocations, approvals) is a
 * UUIDv7: time-ordered, so ids sort by creation time and index well in B-trees. Ids minted in
 * one process strictly increase.
 */
export const newId: () => string = makeIdGenerator()

/** True when `value` is a UUIDv7 in canonical lowercase form. */
export const isId = (value: string): boolean =>
  value.length === 36 && value === value.toLowerCase() && validate(value) && version(value) === 7

/** A W3C trace-context trace id (32 lowercase hex characters, not all zero). */
export const newTraceId = (): string => newId().replaceAll("-", "")
