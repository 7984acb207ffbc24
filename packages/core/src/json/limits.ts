/**
 * Documented limits applied to every untrusted JSON document before it is decoded.
 * They bound memory and CPU per request; a document over a limit is rejected, never truncated.
 */
export interface JsonLimits {
  /** Maximum size of the JSON text in bytes (UTF-8). */
  readonly maxBytes: number
  /** Maximum nesting depth of arrays and objects. */
  readonly maxDepth: number
  /** Maximum length of any single string (in UTF-16 code units). */
  readonly maxStringLength: number
  /** Maximum number of elements in any array and of keys in any object. */
  readonly maxCollectionSize: number
}

/** Limits used by contract decoding unless a caller passes its own. */
export const defaultJsonLimits: JsonLimits = {
  maxBytes: 1024 * 1024,
  maxDepth: 32,
  maxStringLength: 256 * 1024,
  maxCollectionSize: 10_000
}
