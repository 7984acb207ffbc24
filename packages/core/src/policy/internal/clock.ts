import { randomFillSync } from "node:crypto"

// Decision ids and timestamps are minted on the policy hot path, once per decision. The generic
// `newId()` costs more than a whole decision, so this mints the same kind of id (UUIDv7, RFC
// 9562: 48-bit Unix milliseconds, version 7, variant 10, 74 random bits) from a pooled buffer of
// cryptographic randomness, and reuses the ISO timestamp text within one millisecond.

const poolSize = 16 * 1024
const pool = Buffer.allocUnsafe(poolSize)
let poolOffset = poolSize

// Character codes of the lowercase hex digits, and of the id's first 15 characters
// (`tttttttt-tttt-7`: the millisecond and the version), rewritten once per millisecond. An id is
// then one `String.fromCharCode` call: one flat string, where concatenating a dozen pieces made a
// chain of intermediate strings that a trace's later hashing would have to flatten again.
const digit = Uint8Array.from("0123456789abcdef", (c) => c.charCodeAt(0))
const head = new Uint8Array(15)

let lastMs = -1
let lastIso = ""
let lastIdMs = -1

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
      .toString(16)
      .padStart(8, "0")
    const low = (now % 0x10000).toString(16).padStart(4, "0")
    const text = `${high}-${low}-7`
    for (let i = 0; i < 15; i++) head[i] = text.charCodeAt(i)
  }
  if (poolOffset + 10 > poolSize) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const o = poolOffset
  poolOffset += 10
  const p = pool
  const h = head
  const d = digit
  // rand_a: the 12 bits after the version nibble; then the variant bits 10 and 62 random bits.
  // biome-ignore format: one line per group of the id reads better than one line per digit
  return String.fromCharCode(
    h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!, h[8]!, h[9]!, h[10]!, h[11]!, h[12]!, h[13]!, h[14]!,
    d[p[o]! & 0x0f]!, d[p[o + 1]! >> 4]!, d[p[o + 1]! & 0x0f]!,
    45, // -
    d[0x8 | ((p[o + 2]! >> 4) & 0x3)]!, d[p[o + 2]! & 0x0f]!, d[p[o + 3]! >> 4]!, d[p[o + 3]! & 0x0f]!,
    45, // -
    d[p[o + 4]! >> 4]!, d[p[o + 4]! & 0x0f]!, d[p[o + 5]! >> 4]!, d[p[o + 5]! & 0x0f]!,
    d[p[o + 6]! >> 4]!, d[p[o + 6]! & 0x0f]!, d[p[o + 7]! >> 4]!, d[p[o + 7]! & 0x0f]!,
    d[p[o + 8]! >> 4]!, d[p[o + 8]! & 0x0f]!, d[p[o + 9]! >> 4]!, d[p[o + 9]! & 0x0f]!
  )
}
