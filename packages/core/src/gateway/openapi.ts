import { Schema } from "effect"
import { ErrorBody, GatewayErrorCode, httpStatusOf } from "./GatewayError.js"
import type { GatewayMethod } from "./GatewayMethod.js"
import { gatewayMethods } from "./methods.js"

/** Where the HTTP transport serves method `name`: `POST /api/v1/<name>`. */
export const methodPath = (name: string): string => `/api/v1/${name}`

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

const refsToComponents = (value: unknown): Json => {
  if (Array.isArray(value)) return value.map(refsToComponents)
  if (typeof value !== "object" || value === null) return value as Json
  const out: Record<string, Json> = {}
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      key === "$ref" && typeof v === "string" && v.startsWith("#/$defs/")
        ? `#/components/schemas/${v.slice("#/$defs/".length)}`
        : refsToComponents(v)
  }
  return out
}

/** Collects JSON Schemas of many roots into one table of named components. */
class Components {
  readonly schemas: Record<string, Json> = {}

  /** The schema of `schema` as a reference to a component (named by its identifier, else `fallback`). */
  add(schema: Schema.Top, fallback: string): Json {
    const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty: "error" })
    for (const [name, definition] of Object.entries(document.definitions))
      this.put(name, refsToComponents(definition))
    const root = refsToComponents(document.schema)
    if (typeof root === "object" && root !== null && !Array.isArray(root) && "$ref" in root) return root
    const identifier = Schema.resolveAnnotations(schema)?.identifier ?? fallback
    this.put(identifier, root)
    return { $ref: `#/components/schemas/${identifier}` }
  }

  private put(name: string, schema: Json): void {
    const existing = this.schemas[name]
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(schema)) {
      throw new Error(`two different schemas are named ${name}; give one another identifier`)
    }
    this.schemas[name] = schema
  }
}

const errorStatuses = [...new Set(GatewayErrorCode.literals.map((code) => httpStatusOf[code]))].sort()

const codesFor = (status: number) =>
  GatewayErrorCode.literals.filter((code) => httpStatusOf[code] === status).join(", ")

/** Options of the generated document. */
export interface OpenApiOptions {
  readonly title?: string
  readonly version?: string
  readonly description?: string
  readonly methods?: ReadonlyArray<GatewayMethod>
}

/**
 * The OpenAPI 3.1 document of the gateway, generated from the same Effect Schemas the gateway
 * decodes inputs with (and whose outputs the tests decode), so it cannot describe another API
 * than the one served. Every method is `POST /api/v1/<name>` with a JSON body; methods without
 * input also answer `GET`. Every error is an `ErrorBody` whose `code` is stable.
 */
export const openApiDocument = (options: OpenApiOptions = {}): Json => {
  const components = new Components()
  const errorRef = components.add(ErrorBody, "ErrorBody")
  const paths: Record<string, Json> = {}
  for (const method of options.methods ?? gatewayMethods) {
    const input = components.add(method.input, `${method.name}.input`)
    const output = components.add(method.output, `${method.name}.output`)
    const errors: Record<string, Json> = {}
    for (const status of errorStatuses) {
      errors[String(status)] = {
        description: `Error (${codesFor(status)})`,
        content: { "application/json": { schema: errorRef } }
      }
    }
    const operation = (verb: "post" | "get"): Json => ({
      operationId: verb === "post" ? method.name : `${method.name}.get`,
      summary: method.summary,
      description:
        method.access === "public"
          ? `${method.description}\n\nNo credential needed.`
          : method.access === "authenticated"
            ? `${method.description}\n\nAny valid API key.`
            : `${method.description}\n\nScope: \`${method.access}\`.`,
      tags: [method.name.split(".")[0] ?? method.name],
      security: method.access === "public" ? [] : [{ apiKey: [] }],
      "x-bga-scope": method.access,
      ...(verb === "post"
        ? { requestBody: { required: true, content: { "application/json": { schema: input } } } }
        : {}),
      responses: {
        "200": { description: "Success", content: { "application/json": { schema: output } } },
        ...errors
      }
    })
    const takesInput =
      Object.keys(
        (Schema.toJsonSchemaDocument(method.input).schema as { properties?: object }).properties ?? {}
      ).length > 0
    paths[methodPath(method.name)] = takesInput
      ? { post: operation("post") }
      : { post: operation("post"), get: operation("get") }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: options.title ?? "BGA gateway",
      version: options.version ?? "0.0.0",
      description:
        options.description ??
        "Operator API of a BGA per-customer gateway. Every API key is bound to one customer instance and carries scopes; each method names the scope it needs."
    },
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        apiKey: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "bga1.<customer instance>.<key id>.<secret>",
          description: "An API key created with `bga keys create`, shown once."
        }
      }
    }
  }
}
