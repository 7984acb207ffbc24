/** A compiled string test; plain functions so the hot path makes no allocation. */
export type StringTest = (value: string) => boolean

/** True when a pattern has glob wildcards. */
export const isGlob = (pattern: string): boolean => pattern.includes("*") || pattern.includes("?")

const escapeRegExp = (text: string): string => text.replace(/[.+^${}()|[\]\\/-]/gu, "\\$&")

/**
 * Compiles one glob: `*` any run of characters (dots included), `?` one character. The common
 * shapes (exact, `prefix*`, `*suffix`) become string comparisons instead of regular expressions.
 */
export const compileGlob = (pattern: string): StringTest => {
  if (!isGlob(pattern)) return (value) => value === pattern
  const star = pattern.indexOf("*")
  const simple = !pattern.includes("?") && star === pattern.lastIndexOf("*")
  if (simple && star === pattern.length - 1) {
    const prefix = pattern.slice(0, -1)
    return (value) => value.startsWith(prefix)
  }
  if (simple && star === 0) {
    const suffix = pattern.slice(1)
    return (value) => value.endsWith(suffix)
  }
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : escapeRegExp(c)))
    .join("")
  const regex = new RegExp(`^${source}$`, "su")
  return (value) => regex.test(value)
}

/** Compiles a list of patterns into one test that passes when any of them matches. */
export const compileAny = (patterns: ReadonlyArray<string>): StringTest => {
  const exact = new Set(patterns.filter((p) => !isGlob(p)))
  const globs = patterns.filter(isGlob).map(compileGlob)
  if (globs.length === 0) {
    if (exact.size === 1) {
      const only = [...exact][0]!
      return (value) => value === only
    }
    return (value) => exact.has(value)
  }
  return (value) => {
    if (exact.has(value)) return true
    for (let i = 0; i < globs.length; i++) if (globs[i]!(value)) return true
    return false
  }
}
