import type { StandardJSONSchemaV1, StandardSchemaV1 } from "@standard-schema/spec"
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js"
import { Result, Schema } from "effect"
import { decodeUnknown } from "../contracts/decode.js"
import type { JsonProblem } from "../json/JsonError.js"
import { formatPath } from "../json/path.js"
import { checkJsonValue } from "../json/safeJson.js"

/**
 * A JSON Schema object, as TypeBox and hand-written schemas produce. Its arguments type is
 * `unknown` unless the tool names it: `defineTool<Static<typeof Params>>({ ... })`.
 */
export type JsonSchemaObject = object

/**
 * What a tool may declare as its parameters: an Effect Schema, any Standard Schema that can
 * emit JSON Schema (zod 4, Valibot, ArkType, ...), or a plain JSON Schema object (TypeBox).
 */
export type ParametersInput<A> =
  | Schema.Codec<A, unknown>
  | StandardJSONSchemaV1<unknown, A>
  | JsonSchemaObject

/** Tool parameters normalized: the JSON Schema the model sees, and a validator for what it sends. */
export interface ToolParameters<A> {
  readonly jsonSchema: { readonly [key: string]: unknown }
  readonly validate: (
    input: unknown
  ) => Result.Result<A, ReadonlyArray<JsonProblem>> | Promise<Result.Result<A, ReadonlyArray<JsonProblem>>>
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })

const isStandard = (value: unknown): value is StandardJSONSchemaV1 & StandardSchemaV1 =>
  typeof value === "object" &&
  value !== null &&
  "~standard" in value &&
  typeof (value as StandardSchemaV1)["~standard"]?.validate === "function"

const pathOf = (path: StandardSchemaV1.Issue["path"]): string =>
  formatPath((path ?? []).map((p) => (typeof p === "object" ? p.key : p)))

const fromStandard = <A>(
  schema: StandardJSONSchemaV1<unknown, A> & StandardSchemaV1<unknown, A>
): ToolParameters<A> => {
  const props = schema["~standard"]
  if (typeof props.jsonSchema?.input !== "function") {
    throw new TypeError(
      `a ${props.vendor} schema without JSON Schema support cannot describe tool parameters`
    )
  }
  const jsonSchema = props.jsonSchema.input({ target: "draft-2020-12" })
  const toResult = (r: StandardSchemaV1.Result<A>): Result.Result<A, ReadonlyArray<JsonProblem>> =>
    r.issues === undefined
      ? Result.succeed(r.value)
      : Result.fail(r.issues.map((i) => ({ path: pathOf(i.path), message: i.message })))
  return {
    jsonSchema,
    validate: (input) => {
      const out = props.validate(input)
      return out instanceof Promise ? out.then(toResult) : toResult(out)
    }
  }
}

const fromEffect = <A>(schema: Schema.Codec<A, unknown>): ToolParameters<A> => {
  const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty: "error" })
  const jsonSchema =
    Object.keys(document.definitions).length > 0
      ? { ...document.schema, $defs: document.definitions }
      : document.schema
  const decode = decodeUnknown(schema, "tool arguments")
  return {
    jsonSchema,
    validate: (input) => Result.mapError(decode(input), (e) => e.problems)
  }
}

const fromJsonSchema = <A>(schema: object): ToolParameters<A> => {
  let validate: ValidateFunction
  try {
    validate = ajv.compile(schema)
  } catch (error) {
    throw new TypeError(
      `invalid JSON Schema for tool parameters: ${error instanceof Error ? error.message : error}`
    )
  }
  return {
    jsonSchema: JSON.parse(JSON.stringify(schema)),
    validate: (input) => {
      if (validate(input)) return Result.succeed(input as A)
      return Result.fail(
        (validate.errors ?? []).map((e) => ({
          path: `$${e.instancePath.replaceAll("/", ".")}`,
          message: e.message ?? "invalid"
        }))
      )
    }
  }
}

/**
 * Normalizes a tool's parameter declaration. Validation first applies the JSON limits of
 * untrusted input (model output is untrusted), then the declared schema.
 */
export const toolParameters = <A>(input: ParametersInput<A>): ToolParameters<A> => {
  const inner = Schema.isSchema(input)
    ? fromEffect(input as Schema.Codec<A, unknown>)
    : isStandard(input)
      ? fromStandard<A>(input as StandardJSONSchemaV1<unknown, A> & StandardSchemaV1<unknown, A>)
      : fromJsonSchema<A>(input as JsonSchemaObject)
  return {
    jsonSchema: inner.jsonSchema,
    validate: (value) => {
      const limited = checkJsonValue(value, "tool arguments")
      if (Result.isFailure(limited)) return Result.fail(limited.failure.problems)
      return inner.validate(value)
    }
  }
}
