import { createHash } from "node:crypto"
import canonicalize from "canonicalize"

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: keys sorted by code unit,
 * numbers in their shortest ECMAScript form, no whitespace. The one serialization that
 * hashes and signatures in BGA are computed over.
 */
export const canonicalJson = (value: unknown): string => {
  const text = canonicalize(value)
  if (text === undefined) throw new TypeError("value has no JSON representation")
  return text
}

/** Lowercase hex sha256 of a string or bytes. */
export const sha256Hex = (data: string | Uint8Array): string =>
  createHash("sha256").update(data).digest("hex")

/**
 * The BGA hash scheme: sha256 over the RFC 8785 canonical JSON of `value`, as lowercase hex.
 * `argsHash` of a tool invocation is `hashOf(args)`.
 */
export const hashOf = (value: unknown): string => sha256Hex(canonicalJson(value))
