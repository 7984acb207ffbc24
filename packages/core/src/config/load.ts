import { readFileSync } from "node:fs"
import { Context, Effect, Layer, Redacted, Result } from "effect"
import { decodeUnknown } from "../contracts/decode.js"
import type { JsonProblem } from "../json/JsonError.js"
import { formatPath } from "../json/path.js"
import { readTextFile } from "../json/readFile.js"
import { parseJson } from "../json/safeJson.js"
import { ConfigError } from "./ConfigError.js"
import { BgaConfig, type BgaConfigInput, type SecretRef } from "./schema.js"

/** Where secrets referenced by the config are looked up. Defaults to the process. */
export interface SecretSource {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly readFile: (path: string) => string
}

const processSource: SecretSource = {
  env: process.env,
  readFile: (path) => readFileSync(path, "utf8")
}

const isSecretRef = (value: unknown): value is SecretRef =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  Object.keys(value).length === 1 &&
  ("$env" in value || "$file" in value)

const readSecret = (ref: SecretRef, source: SecretSource): string | undefined => {
  if ("$env" in ref) return source.env[ref.$env]
  try {
    return source.readFile(ref.$file).replace(/\r?\n$/, "")
  } catch {
    return undefined
  }
}

/** Resolves a secret reference; the value is wrapped so it never prints or logs. */
export const resolveSecret = (
  ref: SecretRef,
  source: SecretSource = processSource
): Result.Result<Redacted.Redacted<string>, ConfigError> => {
  const value = readSecret(ref, source)
  if (value === undefined || value === "") {
    const where = "$env" in ref ? `environment variable ${ref.$env}` : `file ${ref.$file}`
    return Result.fail(
      new ConfigError({
        reason: "missing-secret",
        source: "secret reference",
        problems: [{ path: "$", message: `${where} is not set or empty` }]
      })
    )
  }
  return Result.succeed(Redacted.make(value))
}

const missingSecrets = (
  value: unknown,
  source: SecretSource,
  path: Array<PropertyKey> = []
): Array<JsonProblem> => {
  if (isSecretRef(value)) {
    if (readSecret(value, source)) return []
    const where = "$env" in value ? `environment variable ${value.$env}` : `file ${value.$file}`
    return [{ path: formatPath(path), message: `${where} is not set or empty` }]
  }
  if (typeof value !== "object" || value === null) return []
  return Object.entries(value).flatMap(([k, v]) =>
    missingSecrets(v, source, [...path, Array.isArray(value) ? Number(k) : k])
  )
}

/**
 * Decodes configuration from an already-parsed value, filling in the B2B defaults. Unknown keys
 * are errors; every secret reference must resolve.
 */
export const decodeConfig = (
  input: unknown,
  options: { readonly source?: string; readonly secrets?: SecretSource } = {}
): Result.Result<BgaConfig, ConfigError> => {
  const source = options.source ?? "value"
  const decoded = decodeUnknown(BgaConfig, "configuration")(input)
  if (Result.isFailure(decoded)) {
    return Result.fail(new ConfigError({ reason: "invalid", source, problems: decoded.failure.problems }))
  }
  const missing = missingSecrets(decoded.success, options.secrets ?? processSource)
  if (missing.length > 0)
    return Result.fail(new ConfigError({ reason: "missing-secret", source, problems: missing }))
  return Result.succeed(decoded.success)
}

/** Reads a JSON configuration file under the untrusted-input limits; failures name the file. */
export const readConfigJson = (path: string): Result.Result<unknown, ConfigError> => {
  const read = readTextFile(path)
  if (Result.isFailure(read)) {
    return Result.fail(
      new ConfigError({
        reason: read.failure.reason,
        source: path,
        problems: [{ path: "$", message: read.failure.message }]
      })
    )
  }
  return Result.mapError(
    parseJson(read.success, "configuration"),
    (error) => new ConfigError({ reason: "invalid", source: path, problems: error.problems })
  )
}

/** Reads and decodes a JSON configuration file. */
export const loadConfigFile = (
  path: string,
  options: { readonly secrets?: SecretSource } = {}
): Result.Result<BgaConfig, ConfigError> =>
  Result.flatMap(readConfigJson(path), (input) => decodeConfig(input, { source: path, ...options }))

/** The configuration with every default and no overrides. */
export const defaultConfig = (): BgaConfig => Result.getOrThrow(decodeConfig({}))

/** Settings that apply to one customer instance: its overrides over the platform values. */
export interface InstanceSettings {
  readonly riskyRequireApproval: boolean
  readonly approvalTtlMinutes: number
  readonly retentionDays: number | undefined
}

/** Resolves the settings of one customer instance. */
export const instanceSettings = (config: BgaConfig, customerInstanceId: string): InstanceSettings => {
  const own = Object.hasOwn(config.customerInstances, customerInstanceId)
    ? config.customerInstances[customerInstanceId]
    : undefined
  return {
    riskyRequireApproval: own?.tools?.riskyRequireApproval ?? config.tools.riskyRequireApproval,
    approvalTtlMinutes: own?.tools?.approvalTtlMinutes ?? config.tools.approvalTtlMinutes,
    retentionDays: own?.retentionDays
  }
}

/** The loaded configuration as an Effect service. */
export class ConfigService extends Context.Service<ConfigService, BgaConfig>()("@bga/core/Config") {}

/** Provides a configuration value (defaults filled in from `input`). */
export const layer = (input: BgaConfigInput = {}): Layer.Layer<ConfigService, ConfigError> =>
  Layer.effect(ConfigService, Effect.fromResult(decodeConfig(input)))

/** Provides the configuration read from a JSON file. */
export const layerFile = (path: string): Layer.Layer<ConfigService, ConfigError> =>
  Layer.effect(
    ConfigService,
    Effect.suspend(() => Effect.fromResult(loadConfigFile(path)))
  )
