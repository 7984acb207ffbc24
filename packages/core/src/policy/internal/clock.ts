import { randomFillSync } from "node:crypto"

// Decision ids and timestamps are minted on the policy hot path, once per decision. The generic
// `newId()` costs more than a whole decision, so this mints the same kind of id (UUIDv7, RFC
// 9562: 48-bit Unix milliseconds, version 7, variant 10, 74 random bits) from a pooled buffer of
// cryptographic randomness, and reuses the ISO timestamp text within one millisecond.

const hex: ReadonlyArray<string> = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))
const poolSize = 16 * 1024
const pool = Buffer.allocUnsafe(poolSize)
let poolOffset = poolSize

let lastMs = -1
let lastIso = ""
let lastIdMs = -1
let lastIdHead = ""

/** The current instant as ISO-8601 UTC text, computed at most once per millisecond. */
export const isoNow = (now: number): string => {
  if (now !== lastMs) {
    lastMs = now
    lastIso = new Date(now).toISOString()
  }
  return lastIso
}

/** A new UUIDv7 for the instant `now` (milliseconds since the epoch). */
export const uuidV7 = (now: number): string => {
  if (now !== lastIdMs) {
    lastIdMs = now
    const high = Math.floor(now / 0x10000)
    const low = now % 0x10000
    const h = high.toString(16).padStart(8, "0")
    lastIdHead = `${h}-${low.toString(16).padStart(4, "0")}-7`
  }
  if (poolOffset + 10 > poolSize) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const o = poolOffset
  poolOffset += 10
  const p = pool
  // rand_a: 12 bits after the version nibble; rand_b: 62 bits after the variant bits.
  return (
    lastIdHead +
    (p[o]! & 0x0f).toString(16) +
    hex[p[o + 1]!] +
    "-" +
    hex[(p[o + 2]! & 0x3f) | 0x80] +
    hex[p[o + 3]!] +
    "-" +
    hex[p[o + 4]!] +
    hex[p[o + 5]!] +
    hex[p[o + 6]!] +
    hex[p[o + 7]!] +
    hex[p[o + 8]!] +
    hex[p[o + 9]!]
  )
}
