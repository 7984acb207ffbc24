import { Schema } from "effect"

/** A bounded string: every free-text field has a documented maximum length. */
export const BoundedString = (max: number, min = 0) =>
  Schema.String.check(
    Schema.isBetweenLength(min, max, { expected: `a string of ${min} to ${max} characters` })
  )

/** A UUIDv7 (the one id scheme of BGA), lowercase. */
export const Id = Schema.String.check(
  Schema.isPattern(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/u, {
    expected: "a lowercase UUIDv7"
  })
).annotate({ identifier: "Id", description: "A lowercase UUIDv7 (time-ordered)." })

const slug = /^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$/u

/**
 * Customer instance id: 1 to 64 lowercase letters, digits, `-` and `_`, starting and ending
 * with a letter or digit. Safe as a file name, a label value and a key prefix.
 */
export const CustomerInstanceId = Schema.String.check(
  Schema.isPattern(slug, { expected: "a customer instance id (lowercase slug of 1 to 64 characters)" })
).annotate({ identifier: "CustomerInstanceId" })

/** Deployment environment of a customer instance, e.g. `production`, `staging`. */
export const Environment = Schema.String.check(
  Schema.isPattern(/^[a-z0-9](?:[a-z0-9_-]{0,30}[a-z0-9])?$/u, {
    expected: "an environment name (lowercase slug of 1 to 32 characters)"
  })
).annotate({ identifier: "Environment" })

/** Days in a month of the proleptic Gregorian calendar, the one Date uses. */
const daysInMonth = (year: number, month: number): number => {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/**
 * Whether the `YYYY-MM-DD` head of `s` is a day of the (proleptic Gregorian) calendar, as
 * `new Date(head).toISOString()` giving back `head` says. Every timestamp in every audit
 * record passes here, so the common shape is answered by arithmetic (a test proves it agrees
 * with Date on every month and day of years 0000 to 9999); anything else asks Date.
 */
const isCalendarDate = (s: string): boolean => {
  const head = s.slice(0, 10)
  if (/^\d{4}-\d{2}-\d{2}$/u.test(head)) {
    const year = Number(head.slice(0, 4))
    const month = Number(head.slice(5, 7))
    const day = Number(head.slice(8, 10))
    if (month >= 1 && month <= 12 && day >= 1 && day <= 31) return day <= daysInMonth(year, month)
  }
  const date = new Date(head)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === head
}

/** An instant as an ISO-8601 UTC timestamp (`2026-01-31T12:00:00.000Z`), a real calendar date. */
export const Timestamp = Schema.String.check(
  Schema.isPattern(
    /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?Z$/u,
    { expected: "an ISO-8601 UTC timestamp such as 2026-01-31T12:00:00.000Z" }
  ),
  Schema.makeFilter((s: string) => isCalendarDate(s) || "not a calendar date")
).annotate({ identifier: "Timestamp" })

/** Lowercase hex sha256 digest (the BGA hash scheme; see `hashOf`). */
export const Sha256Hex = Schema.String.check(
  Schema.isPattern(/^[0-9a-f]{64}$/u, { expected: "a lowercase hex sha256 digest" })
).annotate({ identifier: "Sha256Hex" })

/** W3C trace-context trace id (32 lowercase hex characters, not all zero). */
export const TraceId = Schema.String.check(
  Schema.isPattern(/^[0-9a-f]{32}$/u, { expected: "a 32-character lowercase hex trace id" }),
  Schema.makeFilter((s: string) => /[1-9a-f]/u.test(s) || "a trace id cannot be all zero")
).annotate({ identifier: "TraceId" })

/** A tool name: lowercase identifier, optionally namespaced by plugin (`plugin.tool_name`). */
export const ToolName = Schema.String.check(
  Schema.isPattern(/^[a-z][a-z0-9_-]{0,63}(?:\.[a-z][a-z0-9_-]{0,63}){0,2}$/u, {
    expected: "a tool name such as web_fetch or my-plugin.lookup"
  })
).annotate({ identifier: "ToolName" })

/** A role name carried by an actor, e.g. `operator`, `approver`. */
export const RoleName = Schema.String.check(
  Schema.isPattern(/^[a-z][a-z0-9_:.-]{0,63}$/u, { expected: "a role name such as approver" })
)

/** A finite JSON number (no NaN or infinities, which JSON cannot carry). */
export const JsonNumber = Schema.Finite

const hasProtoKey = (value: unknown): boolean => {
  if (typeof value !== "object" || value === null) return false
  if (Array.isArray(value)) return value.some(hasProtoKey)
  return Object.keys(value).some(
    (key) => key === "__proto__" || hasProtoKey((value as Record<string, unknown>)[key])
  )
}
const noProtoKeys = Schema.makeFilter(
  (value: unknown) => !hasProtoKey(value) || 'the key "__proto__" is not accepted'
)

/** A JSON value (depth and size limits are enforced by the JSON reader); no `__proto__` keys. */
export const JsonValue = Schema.Json.check(noProtoKeys)

/** A JSON object; no `__proto__` keys. */
export const JsonObject = Schema.JsonObject.check(noProtoKeys)

/** An object key supplied by a caller: bounded, and never `__proto__`. */
export const SafeKey = BoundedString(64, 1).check(
  Schema.makeFilter((key: string) => key !== "__proto__" || 'the key "__proto__" is not accepted')
)

/** A scalar fact usable in policy conditions. */
export const Fact = Schema.Union([Schema.String, JsonNumber, Schema.Boolean, Schema.Null])

/** A non-negative integer. */
export const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
