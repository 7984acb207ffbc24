import { Effect, Result, Schema } from "effect"
import { PluginName } from "../contracts/PluginManifest.js"
import { CustomerInstanceId, Id, Timestamp } from "../contracts/primitives.js"
import { canonicalJson } from "../hash.js"
import { InvalidInputError } from "../json/JsonError.js"
import { defaultJsonLimits } from "../json/limits.js"
import { preview } from "../json/path.js"
import { checkJsonValue } from "../json/safeJson.js"

/**
 * Argument checks shared by every storage port. They run before any adapter sees a value, so
 * a malformed id, cursor or filter is an `InvalidInputError` naming the argument, never a
 * driver error, and no value reaches SQL text (adapters bind parameters only).
 */

const isInstanceId = Schema.is(CustomerInstanceId)
const isUuid7 = Schema.is(Id)
const isPluginName = Schema.is(PluginName)
const isTimestamp = Schema.is(Timestamp)

/** A failed argument check: `path` names the argument (`$.runId`, `$.query.limit`). */
export const invalidArgument = (subject: string, path: string, message: string): InvalidInputError =>
  new InvalidInputError({ reason: "invalid", subject, problems: [{ path, message }] })

const describe = (value: unknown): string =>
  typeof value === "string"
    ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)
    : preview(value)

/** Checks a customer instance id argument. */
export const checkInstanceId = (subject: string, value: unknown): Result.Result<string, InvalidInputError> =>
  typeof value === "string" && isInstanceId(value)
    ? Result.succeed(value)
    : Result.fail(
        invalidArgument(
          subject,
          "$.customerInstanceId",
          `expected a customer instance id (lowercase slug of 1 to 64 characters), got ${describe(value)}`
        )
      )

/** Checks a UUIDv7 argument such as a run or approval id. */
export const checkId = (
  subject: string,
  path: string,
  value: unknown
): Result.Result<string, InvalidInputError> =>
  typeof value === "string" && isUuid7(value)
    ? Result.succeed(value)
    : Result.fail(invalidArgument(subject, path, `expected a lowercase UUIDv7, got ${describe(value)}`))

/** Checks a plugin name used as a key-value namespace. */
export const checkPluginName = (subject: string, value: unknown): Result.Result<string, InvalidInputError> =>
  typeof value === "string" && isPluginName(value) && !value.includes("..")
    ? Result.succeed(value)
    : Result.fail(
        invalidArgument(
          subject,
          "$.pluginId",
          `expected a lowercase npm package name, got ${describe(value)}`
        )
      )

/** Checks an optional ISO-8601 UTC timestamp filter and returns it as epoch milliseconds. */
export const checkTimestamp = (
  subject: string,
  path: string,
  value: unknown
): Result.Result<number | undefined, InvalidInputError> => {
  if (value === undefined) return Result.succeed(undefined)
  if (typeof value === "string" && isTimestamp(value)) {
    const ms = Date.parse(value)
    if (Number.isFinite(ms)) return Result.succeed(ms)
  }
  return Result.fail(
    invalidArgument(
      subject,
      path,
      `expected an ISO-8601 UTC timestamp such as 2026-01-31T12:00:00.000Z, got ${describe(value)}`
    )
  )
}

/** The largest page a list method returns; larger limits are refused, not clamped. */
export const maxPageSize = 1000

/** Default page size when a query gives no limit. */
export const defaultPageSize = 100

/** Checks an optional page size. */
export const checkLimit = (subject: string, value: unknown): Result.Result<number, InvalidInputError> => {
  if (value === undefined) return Result.succeed(defaultPageSize)
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= maxPageSize
    ? Result.succeed(value)
    : Result.fail(
        invalidArgument(
          subject,
          "$.limit",
          `expected an integer from 1 to ${maxPageSize}, got ${describe(value)}`
        )
      )
}

/** Checks an optional sort order. */
export const checkOrder = (
  subject: string,
  value: unknown,
  fallback: "asc" | "desc"
): Result.Result<"asc" | "desc", InvalidInputError> => {
  if (value === undefined) return Result.succeed(fallback)
  return value === "asc" || value === "desc"
    ? Result.succeed(value)
    : Result.fail(invalidArgument(subject, "$.order", `expected "asc" or "desc", got ${describe(value)}`))
}

/** Checks a plain object argument (a query or options bag); `undefined` reads as `{}`. */
export const checkObject = (
  subject: string,
  path: string,
  value: unknown,
  allowedKeys: ReadonlyArray<string>
): Result.Result<Record<string, unknown>, InvalidInputError> => {
  if (value === undefined) return Result.succeed({})
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return Result.fail(invalidArgument(subject, path, `expected an object, got ${describe(value)}`))
  }
  const unknown = Object.keys(value).filter((k) => !allowedKeys.includes(k))
  if (unknown.length > 0) {
    return Result.fail(
      invalidArgument(
        subject,
        path,
        `unknown key ${JSON.stringify(unknown[0])}; expected one of ${allowedKeys.join(", ")}`
      )
    )
  }
  return Result.succeed(value as Record<string, unknown>)
}

/** Runs a sequence of synchronous checks as an Effect (the edge of a port method). */
export const fromChecks = <A>(
  f: () => Result.Result<A, InvalidInputError>
): Effect.Effect<A, InvalidInputError> => Effect.suspend(() => Effect.fromResult(f()))

let lastMs = Number.NaN
let lastIso = ""

/**
 * Epoch milliseconds as the ISO-8601 form every stored timestamp uses (always 24 characters).
 * Records written together share their millisecond, so the last answer is kept.
 */
export const isoOf = (ms: number): string => {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString()
    lastMs = ms
  }
  return lastIso
}

/**
 * Checks a JSON value a caller wants stored: JSON types only, the usual depth and collection
 * limits, and at most `maxBytes` of canonical JSON. Returns the canonical text.
 */
export const checkJsonData = (
  subject: string,
  path: string,
  value: unknown,
  maxBytes: number
): Result.Result<string, InvalidInputError> => {
  const checked = checkJsonValue(value, subject, { ...defaultJsonLimits, maxBytes })
  if (Result.isFailure(checked)) {
    return Result.fail(
      new InvalidInputError({
        reason: checked.failure.reason,
        subject,
        problems: checked.failure.problems.map((p) => ({
          path: p.path.replace(/^\$/u, path),
          message: p.message
        }))
      })
    )
  }
  const text = canonicalJson(value)
  const bytes = Buffer.byteLength(text, "utf8")
  return bytes <= maxBytes
    ? Result.succeed(text)
    : Result.fail(
        new InvalidInputError({
          reason: "too-large",
          subject,
          problems: [{ path, message: `${bytes} bytes of JSON exceed the limit of ${maxBytes}` }]
        })
      )
}

const workerIdPattern = /^[A-Za-z0-9._:@/-]{1,128}$/u

/** Checks a worker id (1 to 128 of `A-Z a-z 0-9 . _ : @ / -`). */
export const checkWorkerId = (
  subject: string,
  path: string,
  value: unknown
): Result.Result<string, InvalidInputError> =>
  typeof value === "string" && workerIdPattern.test(value)
    ? Result.succeed(value)
    : Result.fail(
        invalidArgument(
          subject,
          path,
          `expected a worker id of 1 to 128 characters A-Z a-z 0-9 . _ : @ / -, got ${describe(value)}`
        )
      )

/** Checks an integer in a range. */
export const checkInt = (
  subject: string,
  path: string,
  value: unknown,
  min: number,
  max: number
): Result.Result<number, InvalidInputError> =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
    ? Result.succeed(value)
    : Result.fail(
        invalidArgument(subject, path, `expected an integer from ${min} to ${max}, got ${describe(value)}`)
      )
