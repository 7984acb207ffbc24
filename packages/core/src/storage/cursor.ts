import { Result, Schema } from "effect"
import { canonicalJson, hashOf } from "../hash.js"
import { InvalidInputError } from "../json/JsonError.js"
import { parseJson } from "../json/safeJson.js"

/**
 * Opaque page cursors. A cursor names the last item of a page (`position`) and is bound to the
 * list it came from: the customer instance, the list (`scope`) and a fingerprint of the
 * filters. A cursor used on another instance, another list or with other filters is an
 * `InvalidInputError`, never a page of someone else's data. Isolation does not rest on the
 * cursor: every query is still filtered by the instance argument, so a hand-made cursor can at
 * most skip rows of the caller's own instance.
 */

/** Longest cursor accepted; longer text is refused before it is decoded. */
export const maxCursorLength = 1024

const CursorBody = Schema.Struct({
  v: Schema.Literal(1),
  s: Schema.String,
  c: Schema.String,
  f: Schema.String,
  p: Schema.Union([Schema.String, Schema.Finite, Schema.Array(Schema.Union([Schema.String, Schema.Finite]))])
})

/** Where a page ended: a sequence number, an id, or a compound key. */
export type CursorPosition = string | number | ReadonlyArray<string | number>

/** What a cursor is bound to. */
export interface CursorBinding {
  /** The list, e.g. `audit`, `runs`, `approvals.pending`, `kv`. */
  readonly scope: string
  readonly customerInstanceId: string
  /** The filters of the query, excluding cursor and limit. */
  readonly filters: unknown
}

const fingerprint = (filters: unknown): string => hashOf(filters ?? null).slice(0, 16)

/** Makes the cursor that continues after `position`. */
export const encodeCursor = (binding: CursorBinding, position: CursorPosition): string =>
  Buffer.from(
    canonicalJson({
      v: 1,
      s: binding.scope,
      c: binding.customerInstanceId,
      f: fingerprint(binding.filters),
      p: position
    }),
    "utf8"
  ).toString("base64url")

const bad = (subject: string, message: string) =>
  Result.fail(
    new InvalidInputError({ reason: "invalid", subject, problems: [{ path: "$.cursor", message }] })
  )

/**
 * Reads a cursor back, checking it belongs to the same instance, list and filters. Returns
 * `undefined` for an absent cursor (first page).
 */
export const decodeCursor = (
  subject: string,
  cursor: unknown,
  binding: CursorBinding
): Result.Result<CursorPosition | undefined, InvalidInputError> => {
  if (cursor === undefined) return Result.succeed(undefined)
  if (typeof cursor !== "string" || cursor.length === 0 || cursor.length > maxCursorLength) {
    return bad(
      subject,
      `expected a cursor returned by a previous page (a string of 1 to ${maxCursorLength} characters)`
    )
  }
  if (!/^[A-Za-z0-9_-]+$/u.test(cursor)) return bad(subject, "not a cursor: unexpected characters")
  const parsed = parseJson(Buffer.from(cursor, "base64url").toString("utf8"), "cursor", {
    maxBytes: maxCursorLength,
    maxDepth: 3,
    maxStringLength: 256,
    maxCollectionSize: 8
  })
  if (Result.isFailure(parsed)) return bad(subject, "not a cursor: it does not decode")
  const body = Schema.decodeUnknownResult(CursorBody)(parsed.success, { onExcessProperty: "error" })
  if (Result.isFailure(body)) return bad(subject, "not a cursor: unexpected content")
  const { c, f, p, s } = body.success
  if (c !== binding.customerInstanceId) {
    return bad(subject, "the cursor was issued for another customer instance")
  }
  if (s !== binding.scope) return bad(subject, `the cursor was issued for another list (${s})`)
  if (f !== fingerprint(binding.filters))
    return bad(subject, "the cursor was issued for a query with other filters")
  return Result.succeed(p)
}

/** A page of results and the cursor for the next one (absent on the last page). */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly nextCursor?: string
}
