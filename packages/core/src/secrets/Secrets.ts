import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Context, Effect, Layer, Redacted, Schema } from "effect"

/** A secret a tool asked for could not be provided. */
export class SecretError extends Schema.TaggedError<SecretError>()("@bga/core/SecretError", {
  reason: Schema.Literals(["not-found", "invalid-name", "unreadable"]),
  customerInstanceId: Schema.String,
  name: Schema.String
}) {
  override get message(): string {
    return `secret ${this.name} for customer instance ${this.customerInstanceId}: ${this.reason}`
  }
}

/**
 * The Secrets port. Values are per customer instance and come back `Redacted`, so they never
 * print or log by accident; only the tool runtime unwraps them, to hand them to a handler.
 */
export interface SecretsShape {
  readonly get: (
    customerInstanceId: string,
    name: string
  ) => Effect.Effect<Redacted.Redacted<string>, SecretError>
}

/** Service key of the Secrets port. */
export class Secrets extends Context.Service<Secrets, SecretsShape>()("@bga/core/Secrets") {}

const namePattern = /^[A-Z][A-Z0-9_]{0,127}$/u
const instancePattern = /^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$/u

const lookup =
  (read: (customerInstanceId: string, name: string) => string | undefined): SecretsShape["get"] =>
  (customerInstanceId, name) =>
    Effect.suspend(() => {
      if (!namePattern.test(name) || !instancePattern.test(customerInstanceId)) {
        return Effect.fail(new SecretError({ reason: "invalid-name", customerInstanceId, name }))
      }
      const value = read(customerInstanceId, name)
      return value === undefined || value === ""
        ? Effect.fail(new SecretError({ reason: "not-found", customerInstanceId, name }))
        : Effect.succeed(Redacted.make(value))
    })

/**
 * Environment variable holding secret `name` of an instance: `BGA_SECRET__ACME__CRM_TOKEN`;
 * `-` and `_` in the instance id are written `_2D` and `_5F` (`acme-eu` is `ACME_2DEU`). The
 * mapping is one-to-one: an encoded id never contains `__`, so the first `__` after the prefix
 * always ends it, and no two (instance, name) pairs share a variable.
 */
export const envVarName = (customerInstanceId: string, name: string): string =>
  `BGA_SECRET__${customerInstanceId
    .toUpperCase()
    .replace(/[-_]/gu, (c) => `_${c.charCodeAt(0).toString(16).toUpperCase()}`)}__${name}`

/**
 * Secrets from environment variables named by `envVarName`. There is deliberately no
 * instance-less fallback: a secret always belongs to one customer instance.
 */
export const makeEnv = (env: Readonly<Record<string, string | undefined>> = process.env): SecretsShape => ({
  get: lookup((instance, name) => env[envVarName(instance, name)])
})

/** Secrets from files `<dir>/<customerInstanceId>/<NAME>` (for example mounted by an orchestrator). */
export const makeFiles = (dir: string): SecretsShape => ({
  get: lookup((instance, name) => {
    try {
      return readFileSync(join(dir, instance, name), "utf8").replace(/\r?\n$/u, "")
    } catch {
      return undefined
    }
  })
})

/** Secrets held in memory, for tests and demos. */
export const makeMemory = (
  values: Readonly<Record<string, Readonly<Record<string, string>>>>
): SecretsShape => ({
  get: lookup((instance, name) => (Object.hasOwn(values, instance) ? values[instance]?.[name] : undefined))
})

/** Layer of the environment-variable provider. */
export const layerEnv = (env?: Readonly<Record<string, string | undefined>>): Layer.Layer<Secrets> =>
  Layer.succeed(Secrets, makeEnv(env))

/** Layer of the file provider. */
export const layerFiles = (dir: string): Layer.Layer<Secrets> => Layer.succeed(Secrets, makeFiles(dir))

/** Layer of the in-memory provider. */
export const layerMemory = (
  values: Readonly<Record<string, Readonly<Record<string, string>>>>
): Layer.Layer<Secrets> => Layer.succeed(Secrets, makeMemory(values))
