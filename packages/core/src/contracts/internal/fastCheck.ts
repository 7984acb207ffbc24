import { _, Ajv2020, type KeywordCxt } from "ajv/dist/2020.js"
import { Result, Schema, type SchemaAST } from "effect"

/**
 * A compiled yes/no check of a contract, for values that already passed `checkJsonValue`:
 * true only when `Schema.decodeUnknownResult(schema)(value, strict)` would succeed. It answers
 * in a fraction of the decoder's time, so hot paths (the audit log's appends) ask it first and
 * run the decoder only for a value it refuses, which the decoder then rejects with the usual
 * path-named problems (or, should the check be stricter somewhere, accepts).
 *
 * It is the published JSON Schema of the contract (`Schema.toJsonSchemaDocument`, the same
 * document `pnpm codegen` writes) compiled once with ajv, plus what JSON Schema cannot say,
 * taken from the Effect Schema itself and run as Effect runs it:
 * - string lengths in UTF-16 code units, as Effect counts them (ajv counts code points);
 * - every check without a JSON Schema form (a calendar date, a non-zero trace id, no
 *   `__proto__` keys), run through its own `Filter.run`;
 * - declarations (`Schema.Json`), decoded by Effect;
 * - no own symbol keys on objects, which the decoder refuses as excess properties.
 * A schema with transformations, or with such checks under a union or a recursion, gets no
 * compiled check (`undefined`): callers then decode every value.
 */
export type FastCheck = (value: unknown) => boolean

const strict = { errors: "all", onExcessProperty: "error" } as const

/** One ajv for every compiled check, made on first use so that importing core builds nothing. */
let ajv: Ajv2020 | undefined
const ajvInstance = (): Ajv2020 => {
  if (ajv !== undefined) return ajv
  // The schemas are generated from our own contracts (and checked against the 2020-12
  // meta-schema by a test), so the meta-schema is not compiled here: ~35 ms saved on first use.
  const instance = new Ajv2020({
    strict: true,
    allErrors: false,
    validateFormats: false,
    meta: false,
    validateSchema: false
  })
  // Effect measures strings in UTF-16 code units; so must the compiled check, or it would
  // accept a string of astral characters that is too long for the decoder.
  instance.removeKeyword("minLength")
  instance.removeKeyword("maxLength")
  instance.addKeyword({
    keyword: "minLength",
    type: "string",
    schemaType: "number",
    code: (cxt: KeywordCxt) => cxt.fail(_`${cxt.data}.length < ${cxt.schema}`)
  })
  instance.addKeyword({
    keyword: "maxLength",
    type: "string",
    schemaType: "number",
    code: (cxt: KeywordCxt) => cxt.fail(_`${cxt.data}.length > ${cxt.schema}`)
  })
  ajv = instance
  return instance
}

/** Where a residual check applies, from the value its parent node applies to. */
type Step =
  | { readonly _tag: "key"; readonly key: string }
  | { readonly _tag: "items" | "recordKeys" | "recordValues" }

/** The residual checks of one place in the schema, and of the places below it. */
interface Node {
  readonly tests: Array<(value: unknown) => boolean>
  readonly children: Array<{ readonly step: Step; readonly node: Node }>
}

const newNode = (): Node => ({ tests: [], children: [] })

class Unsupported extends Error {}

const filtersOf = (check: SchemaAST.Check<unknown>): ReadonlyArray<SchemaAST.Filter<unknown>> =>
  check._tag === "FilterGroup" ? check.checks.flatMap(filtersOf) : [check]

const hasNoSymbolKeys = (value: unknown): boolean =>
  typeof value !== "object" || value === null || Object.getOwnPropertySymbols(value).length === 0

/** Collects the checks ajv cannot run into `node`, the place `ast` describes. */
const collect = (ast: SchemaAST.AST, node: Node, inBranch: boolean) => {
  if (ast.encoding !== undefined) throw new Unsupported("a transformation")
  const add = (test: (value: unknown) => boolean) => {
    if (inBranch) throw new Unsupported("a check ajv cannot run, under a union")
    node.tests.push(test)
  }
  const below = (step: Step) => {
    const child = newNode()
    node.children.push({ step, node: child })
    return child
  }
  for (const check of ast.checks ?? []) {
    for (const filter of filtersOf(check)) {
      if (filter.annotations?.toJsonSchema !== undefined) continue
      add((value) => filter.run(value, ast, strict) === undefined)
    }
  }
  switch (ast._tag) {
    case "Declaration": {
      const decode = Schema.decodeUnknownResult(Schema.make<Schema.Codec<unknown>>(ast))
      add((value) => Result.isSuccess(decode(value, strict)))
      return
    }
    case "Objects":
      add(hasNoSymbolKeys)
      for (const property of ast.propertySignatures) {
        if (typeof property.name !== "string") throw new Unsupported("a symbol key")
        collect(property.type, below({ _tag: "key", key: property.name }), inBranch)
      }
      for (const index of ast.indexSignatures) {
        if (index.parameter._tag !== "String") throw new Unsupported("a record key that is not a string")
        collect(index.parameter, below({ _tag: "recordKeys" }), inBranch)
        collect(index.type, below({ _tag: "recordValues" }), inBranch)
      }
      return
    case "Arrays":
      if (ast.elements.length > 0 || ast.rest.length > 1) throw new Unsupported("a tuple")
      for (const rest of ast.rest) collect(rest, below({ _tag: "items" }), inBranch)
      return
    case "Union":
      for (const member of ast.types) collect(member, node, true)
      return
    case "Suspend":
      throw new Unsupported("a recursive schema")
    default:
      return
  }
}

type Test = (value: unknown) => boolean

const every =
  (test: Test): Test =>
  (values) => {
    for (const value of values as Iterable<unknown>) if (!test(value)) return false
    return true
  }

/** Compiles a node into one function; places without residual checks are not visited. */
const compileNode = (node: Node): Test | undefined => {
  const tests: Array<Test> = [...node.tests]
  for (const { step, node: child } of node.children) {
    const test = compileNode(child)
    if (test === undefined) continue
    switch (step._tag) {
      case "key": {
        const key = step.key
        // An optional key that is absent has nothing to check (the structure was checked by ajv).
        tests.push((value) => {
          const inner = (value as Record<string, unknown>)[key]
          return inner === undefined || test(inner)
        })
        break
      }
      case "items":
        tests.push(every(test))
        break
      case "recordKeys": {
        const all = every(test)
        tests.push((value) => all(Object.keys(value as object)))
        break
      }
      case "recordValues": {
        const all = every(test)
        tests.push((value) => all(Object.values(value as object)))
        break
      }
    }
  }
  if (tests.length === 0) return undefined
  if (tests.length === 1) return tests[0]
  return (value) => {
    for (const test of tests) if (!test(value)) return false
    return true
  }
}

/** The JSON Schema of a contract, as `pnpm codegen` publishes it (without `$schema`/`$id`). */
export const jsonSchemaOf = (schema: Schema.Top): Record<string, unknown> => {
  const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty: "error" })
  return {
    ...document.schema,
    ...(Object.keys(document.definitions).length > 0 ? { $defs: document.definitions } : {})
  }
}

/** Compiles the fast check of a contract, or returns undefined when it cannot be exact. */
export const compileFastCheck = (schema: Schema.Top): FastCheck | undefined => {
  const root = newNode()
  try {
    collect(schema.ast, root, false)
  } catch (error) {
    if (error instanceof Unsupported) return undefined
    throw error
  }
  const validate = ajvInstance().compile(jsonSchemaOf(schema))
  const residual = compileNode(root)
  return residual === undefined ? (value) => validate(value) : (value) => validate(value) && residual(value)
}
