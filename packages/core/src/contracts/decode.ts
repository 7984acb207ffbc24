import { Effect, Result, Schema, SchemaIssue } from "effect"
import { InvalidInputError, type JsonProblem } from "../json/JsonError.js"
import { defaultJsonLimits, type JsonLimits } from "../json/limits.js"
import { formatPath, preview, valueAt } from "../json/path.js"
import { checkJsonValue, parseJson } from "../json/safeJson.js"

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()
const strict = { errors: "all", onExcessProperty: "error" } as const

/** Turns a schema failure into problems that name the field, what was expected and what was found. */
export const problemsOf = (issue: SchemaIssue.Issue, input: unknown): Array<JsonProblem> =>
  formatter(issue).issues.map((i) => {
    const path = (i.path ?? []).map((p) => (typeof p === "object" && p !== null && "key" in p ? p.key : p))
    const actual = valueAt(input, path)
    const found = actual === undefined ? "" : ` (got ${preview(actual)})`
    return { path: formatPath(path), message: `${i.message}${found}` }
  })

/**
 * Decodes an untrusted value (already parsed) against a contract: JSON limits first, then the
 * schema with unknown keys rejected. Never throws.
 */
export const decodeUnknown =
  <S extends Schema.Decoder<unknown>>(schema: S, subject: string, limits: JsonLimits = defaultJsonLimits) =>
  (input: unknown): Result.Result<S["Type"], InvalidInputError> => {
    const checked = checkJsonValue(input, subject, limits)
    if (Result.isFailure(checked)) return checked
    const decoded = Schema.decodeUnknownResult(schema)(input, strict)
    if (Result.isSuccess(decoded)) return Result.succeed(decoded.success)
    return Result.fail(
      new InvalidInputError({
        reason: "invalid",
        subject,
        problems: problemsOf(decoded.failure.issue, input)
      })
    )
  }

/** Decodes untrusted JSON text against a contract. Never throws. */
export const decodeJson =
  <S extends Schema.Decoder<unknown>>(schema: S, subject: string, limits: JsonLimits = defaultJsonLimits) =>
  (text: string): Result.Result<S["Type"], InvalidInputError> => {
    const parsed = parseJson(text, subject, limits)
    if (Result.isFailure(parsed)) return parsed
    return decodeUnknown(schema, subject, limits)(parsed.success)
  }

/** `decodeUnknown` as an Effect, failing with `InvalidInputError`. */
export const decodeUnknownEffect =
  <S extends Schema.Decoder<unknown>>(schema: S, subject: string, limits?: JsonLimits) =>
  (input: unknown): Effect.Effect<S["Type"], InvalidInputError> =>
    Effect.fromResult(decodeUnknown(schema, subject, limits)(input))

/** `decodeJson` as an Effect, failing with `InvalidInputError`. */
export const decodeJsonEffect =
  <S extends Schema.Decoder<unknown>>(schema: S, subject: string, limits?: JsonLimits) =>
  (text: string): Effect.Effect<S["Type"], InvalidInputError> =>
    Effect.fromResult(decodeJson(schema, subject, limits)(text))
