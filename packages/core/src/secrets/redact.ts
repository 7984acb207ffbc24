/** The text that replaces a secret wherever it is found. */
export const REDACTED = "[REDACTED]"

/**
 * Finds secret values, and their common encodings, inside strings. Built once per call from
 * the secrets the tool received; anything the handler returns or logs passes through it.
 */
export interface SecretScrubber {
  /** Returns the text with every secret replaced, and how many replacements were made. */
  readonly scrubText: (text: string) => { readonly text: string; readonly count: number }
  /** Deep-copies a JSON value with every secret in its strings (and keys) replaced. */
  readonly scrubValue: (value: unknown) => { readonly value: unknown; readonly count: number }
}

const variantsOf = (secret: string): Array<string> => {
  const variants = new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64")])
  variants.add(Buffer.from(secret).toString("base64url"))
  variants.add(JSON.stringify(secret).slice(1, -1))
  return [...variants].filter((v) => v.length > 0)
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&")

/** Builds a scrubber for the given secret values (empty values are ignored). */
export const makeScrubber = (secrets: ReadonlyArray<string>): SecretScrubber => {
  const variants = [...new Set(secrets.filter((s) => s.length > 0).flatMap(variantsOf))].sort(
    (a, b) => b.length - a.length
  )
  if (variants.length === 0) {
    return { scrubText: (text) => ({ text, count: 0 }), scrubValue: (value) => ({ value, count: 0 }) }
  }
  const pattern = new RegExp(variants.map(escapeRegExp).join("|"), "gu")
  // The same alternation without `g`, to answer "any secret here?" without a replace.
  const probe = new RegExp(pattern.source, "u")
  const scrubText = (text: string) => {
    if (!probe.test(text)) return { text, count: 0 }
    let count = 0
    const out = text.replace(pattern, () => {
      count++
      return REDACTED
    })
    return { text: out, count }
  }
  const scrubValue = (value: unknown) => {
    let count = 0
    const visit = (v: unknown): unknown => {
      if (typeof v === "string") {
        if (!probe.test(v)) return v
        const r = scrubText(v)
        count += r.count
        return r.text
      }
      if (Array.isArray(v)) return v.map(visit)
      if (v !== null && typeof v === "object") {
        const out: Record<string, unknown> = {}
        for (const [k, inner] of Object.entries(v)) {
          const key = probe.test(k) ? scrubText(k) : { text: k, count: 0 }
          count += key.count
          const scrubbed = visit(inner)
          // defineProperty: a key named __proto__ stays data, never a prototype change.
          if (key.text === "__proto__") {
            Object.defineProperty(out, key.text, {
              value: scrubbed,
              enumerable: true,
              writable: true,
              configurable: true
            })
          } else {
            out[key.text] = scrubbed
          }
        }
        return out
      }
      return v
    }
    const scrubbed = visit(value)
    return { value: scrubbed, count }
  }
  return { scrubText, scrubValue }
}
