import { hash } from "node:crypto"
import canonicalize from "canonicalize"

// Why a hand-written serializer next to the `canonicalize` library: every governed tool call
// hashes its arguments and two audit records, and the library spent ~5.5 µs on one policy
// decision (its explicit stack, a Set for cycles, `isWellFormed` and a frame object per
// container) where this one takes ~1.5 µs (node 24, packages/core/bench/tools.mjs). The library
// stays the reference: a property test proves byte-identical output and identical refusals over
// random JSON and non-JSON values, and it still serializes what the fast path hands back
// (values nested deeper than `maxFastDepth`, which is also where a cycle ends up).

/** Nesting the recursive fast path follows before it hands the value to the library. */
const maxFastDepth = 200

/** Thrown inside the fast path when the value is too deep for it (or cyclic). */
const TOO_DEEP: unique symbol = Symbol("too-deep")

/** `String.prototype.isWellFormed` (ES2024, in every Node BGA supports; lib is es2023). */
type WellFormedString = string & { readonly isWellFormed: () => boolean }

/**
 * A string as RFC 8785 writes it: JSON.stringify's escapes, refusing lone surrogates. Most
 * strings need no escape at all; finding that with one scan and quoting them is about twice
 * as fast as JSON.stringify.
 */
const writeString = (text: string): string => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    // Control characters, `"`, `\` and any surrogate: let JSON.stringify escape them.
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
      if (!(text as WellFormedString).isWellFormed()) throw new Error("Lone surrogate is not allowed")
      return JSON.stringify(text)
    }
  }
  return `"${text}"`
}

/** Keys repeat from call to call (`decisionId`, `runId`...): their text is kept, up to a bound. */
const keyTexts = new Map<string, string>()
const maxKeyTexts = 4096

const writeKey = (key: string): string => {
  let text = keyTexts.get(key)
  if (text === undefined) {
    text = writeString(key)
    if (keyTexts.size >= maxKeyTexts) keyTexts.clear()
    keyTexts.set(key, text)
  }
  return text
}

/**
 * Keys in UTF-16 code unit order (what `<` on strings and the default sort compare), the order
 * RFC 8785 asks for. Objects here have few keys, where an insertion sort beats the built-in.
 */
const sortKeys = (keys: Array<string>): Array<string> => {
  if (keys.length > 24) return keys.sort()
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string
    let j = i - 1
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string
      j--
    }
    keys[j + 1] = key
  }
  return keys
}

/**
 * The canonical text of a value that is not an object, or undefined when it has no JSON form
 * (undefined, a function, a symbol), as JSON.stringify and the library decide.
 */
const writePrimitive = (value: unknown): string | undefined => {
  switch (typeof value) {
    case "string":
      return writeString(value)
    case "number":
      // ECMAScript Number::toString, which is JSON.stringify's text for a finite number (-0 is "0").
      if (Number.isFinite(value)) return String(value)
      throw new Error(Number.isNaN(value) ? "NaN is not allowed" : "Infinity is not allowed")
    case "boolean":
      return value ? "true" : "false"
    case "bigint":
      // JSON.stringify's own TypeError, as the library raises it.
      return JSON.stringify(value)
    default:
      return value === null ? "null" : undefined
  }
}

/** Follows `toJSON` and unboxes Number, String and Boolean objects, as JSON.stringify does. */
const resolve = (value: object): unknown => {
  let v: unknown = value
  for (let hops = 0; typeof v === "object" && v !== null; hops++) {
    const toJSON = (v as { readonly toJSON?: unknown }).toJSON
    if (typeof toJSON !== "function") {
      return v instanceof Number || v instanceof String || v instanceof Boolean ? v.valueOf() : v
    }
    // A toJSON chain that does not end is the library's to refuse (or loop on), as before.
    if (hops > maxFastDepth) throw TOO_DEEP
    v = toJSON.call(v)
  }
  return v
}

/** The text of any value: a resolved container, or a primitive. */
const write = (value: unknown, depth: number): string | undefined => {
  if (typeof value !== "object" || value === null) return writePrimitive(value)
  const resolved = resolve(value)
  return typeof resolved === "object" && resolved !== null
    ? writeContainer(resolved, depth)
    : writePrimitive(resolved)
}

/**
 * An array or object after `toJSON`. The order of the checks follows the library's, so a value
 * with several faults is refused with the same error: a member's key is checked before its
 * primitive value or its container's contents, after its `toJSON`.
 */
const writeContainer = (container: object, depth: number): string => {
  // Past this depth the value is deep, or cyclic: the library serializes (or refuses) it.
  if (depth >= maxFastDepth) throw TOO_DEEP
  if (Array.isArray(container)) {
    const items = container as ReadonlyArray<unknown>
    let out = "["
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out += ","
      // Inside arrays, a value without a JSON form is written as null.
      out += write(items[i], depth + 1) ?? "null"
    }
    return `${out}]`
  }
  const record = container as Readonly<Record<string, unknown>>
  const keys = sortKeys(Object.keys(record))
  let out = "{"
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    const item = record[key]
    let member: string
    if (typeof item !== "object" || item === null) {
      // Inside objects, a member without a JSON form is left out.
      if (item === undefined || typeof item === "function" || typeof item === "symbol") continue
      member = `${writeKey(key)}:${writePrimitive(item)}`
    } else {
      const resolved = resolve(item)
      if (typeof resolved === "object" && resolved !== null) {
        const keyText = writeKey(key)
        member = `${keyText}:${writeContainer(resolved, depth + 1)}`
      } else {
        const text = writePrimitive(resolved)
        if (text === undefined) continue
        member = `${writeKey(key)}:${text}`
      }
    }
    out += out.length === 1 ? member : `,${member}`
  }
  return `${out}}`
}

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: keys sorted by code unit,
 * numbers in their shortest ECMAScript form, no whitespace. The one serialization that
 * hashes and signatures in BGA are computed over. Refuses NaN, infinities, lone surrogates,
 * BigInts, cycles and values with no JSON form at all; inside containers it follows
 * JSON.stringify (`toJSON`, boxed primitives, undefined members left out, null in arrays).
 */
export const canonicalJson = (value: unknown): string => {
  let text: string | undefined
  try {
    text = write(value, 0)
  } catch (error) {
    if (error !== TOO_DEEP) throw error
    text = canonicalize(value)
  }
  if (text === undefined) throw new TypeError("value has no JSON representation")
  return text
}

/** Lowercase hex sha256 of a string or bytes. */
export const sha256Hex = (data: string | Uint8Array): string => hash("sha256", data, "hex")

/**
 * The BGA hash scheme: sha256 over the RFC 8785 canonical JSON of `value`, as lowercase hex.
 * `argsHash` of a tool invocation is `hashOf(args)`.
 */
export const hashOf = (value: unknown): string => sha256Hex(canonicalJson(value))
