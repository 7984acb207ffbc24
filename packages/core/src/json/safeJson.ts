import { Result } from "effect"
import { InvalidInputError, type JsonProblem } from "./JsonError.js"
import { defaultJsonLimits, type JsonLimits } from "./limits.js"
import { formatPath } from "./path.js"

const fail = (subject: string, reason: InvalidInputError["reason"], problems: Array<JsonProblem>) =>
  Result.fail(new InvalidInputError({ reason, subject, problems }))

/**
 * Depth of the deepest array/object in JSON text, found without parsing so that a hostile
 * document of a million `[` is refused before the recursive parser sees it.
 */
const scanDepth = (text: string, maxDepth: number): number | undefined => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92 /* \ */) i++
      else if (c === 34 /* " */) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > maxDepth) return i
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--
  }
  return undefined
}

/**
 * Checks an already-parsed value against the limits: JSON types only, bounded depth, strings
 * and collections, and no `__proto__` key (which `Object.assign` or a naive merge would turn
 * into prototype pollution downstream).
 */
export const checkJsonValue = (
  value: unknown,
  subject: string,
  limits: JsonLimits = defaultJsonLimits
): Result.Result<unknown, InvalidInputError> => {
  const problems: Array<JsonProblem> = []
  let reason: InvalidInputError["reason"] = "invalid"
  const path: Array<PropertyKey> = []
  const visit = (v: unknown, depth: number): void => {
    if (problems.length >= 20) return
    switch (typeof v) {
      case "string":
        if (v.length > limits.maxStringLength) {
          reason = "too-large"
          problems.push({
            path: formatPath(path),
            message: `string of ${v.length} characters exceeds the limit of ${limits.maxStringLength}`
          })
        }
        return
      case "number":
        if (!Number.isFinite(v))
          problems.push({ path: formatPath(path), message: `${v} is not a JSON number` })
        return
      case "boolean":
        return
      case "object": {
        if (v === null) return
        if (depth >= limits.maxDepth) {
          reason = "too-deep"
          problems.push({
            path: formatPath(path),
            message: `nesting exceeds the depth limit of ${limits.maxDepth}`
          })
          return
        }
        if (Array.isArray(v)) {
          if (v.length > limits.maxCollectionSize) {
            reason = "too-large"
            problems.push({
              path: formatPath(path),
              message: `array of ${v.length} items exceeds the limit of ${limits.maxCollectionSize}`
            })
            return
          }
          for (let i = 0; i < v.length; i++) {
            path.push(i)
            visit(v[i], depth + 1)
            path.pop()
          }
          return
        }
        const proto = Object.getPrototypeOf(v)
        if (proto !== Object.prototype && proto !== null) {
          problems.push({ path: formatPath(path), message: "expected a plain JSON object" })
          return
        }
        const keys = Object.keys(v)
        if (keys.length > limits.maxCollectionSize) {
          reason = "too-large"
          problems.push({
            path: formatPath(path),
            message: `object of ${keys.length} keys exceeds the limit of ${limits.maxCollectionSize}`
          })
          return
        }
        for (const key of keys) {
          path.push(key)
          if (key === "__proto__") {
            reason = "forbidden-key"
            problems.push({ path: formatPath(path), message: `the key "__proto__" is not accepted` })
          } else {
            visit((v as Record<string, unknown>)[key], depth + 1)
          }
          path.pop()
        }
        return
      }
      default:
        problems.push({ path: formatPath(path), message: `a ${typeof v} is not a JSON value` })
    }
  }
  visit(value, 0)
  return problems.length === 0 ? Result.succeed(value) : fail(subject, reason, problems)
}

/**
 * Parses untrusted JSON text under the limits. Never throws: every failure is an
 * `InvalidInputError` saying what was wrong and where.
 */
export const parseJson = (
  text: string,
  subject: string,
  limits: JsonLimits = defaultJsonLimits
): Result.Result<unknown, InvalidInputError> => {
  const bytes = Buffer.byteLength(text, "utf8")
  if (bytes > limits.maxBytes) {
    return fail(subject, "too-large", [
      { path: "$", message: `document of ${bytes} bytes exceeds the limit of ${limits.maxBytes} bytes` }
    ])
  }
  const tooDeepAt = scanDepth(text, limits.maxDepth)
  if (tooDeepAt !== undefined) {
    return fail(subject, "too-deep", [
      { path: "$", message: `nesting exceeds the depth limit of ${limits.maxDepth} at offset ${tooDeepAt}` }
    ])
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return fail(subject, "malformed-json", [
      { path: "$", message: error instanceof Error ? error.message : "not valid JSON" }
    ])
  }
  return checkJsonValue(value, subject, limits)
}
