import { randomBytes } from "node:crypto"
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { Effect, Redacted, Result, Schema } from "effect"
import { ConfigError } from "../config/ConfigError.js"
import { decodeConfig, readConfigJson, resolveSecret, type SecretSource } from "../config/load.js"
import { type BgaConfig, SecretRef } from "../config/schema.js"
import { decodeUnknown } from "../contracts/decode.js"
import { CustomerInstanceId } from "../contracts/primitives.js"

const withDefault = <S extends Schema.Top>(schema: S, value: S["Encoded"]) =>
  schema.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

const Int = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

const LockoutSettings = Schema.Struct({
  threshold: Schema.optionalKey(Int(1, 10_000)),
  windowMs: Schema.optionalKey(Int(1000, 86_400_000)),
  lockMs: Schema.optionalKey(Int(1000, 86_400_000)),
  maxLockMs: Schema.optionalKey(Int(1000, 604_800_000)),
  maxEntries: Schema.optionalKey(Int(100, 10_000_000))
})

/**
 * The `gateway` section of a gateway host's configuration file. Every default is safe to run:
 * loopback only, 1 MiB bodies, 30 s per request.
 */
export const GatewaySettings = Schema.Struct({
  /** Address to listen on; loopback unless set. Put a TLS-terminating proxy in front to expose it. */
  host: withDefault(Schema.String.check(Schema.isBetweenLength(1, 255)), "127.0.0.1"),
  port: withDefault(Int(0, 65_535), 8787),
  /** Folder for the generated key pepper (and the SQLite file by the default `storage.path`). */
  dataDir: withDefault(Schema.String.check(Schema.isBetweenLength(1, 4096)), ".data"),
  /** Policy document; without one only the platform baseline applies (which denies every tool). */
  policyFile: Schema.optionalKey(Schema.String.check(Schema.isBetweenLength(1, 4096))),
  /** Audit chain of refused credentials that name no existing key. */
  auditInstance: withDefault(CustomerInstanceId, "gateway"),
  /**
   * The key pepper (at least 32 characters). Without it, `<dataDir>/gateway-key-pepper` is used,
   * created on first start. Replicas sharing a database must share the pepper.
   */
  keyPepper: Schema.optionalKey(SecretRef),
  limits: withDefault(
    Schema.Struct({
      maxBodyBytes: withDefault(Int(1024, 16 * 1024 * 1024), 1024 * 1024),
      requestTimeoutMs: withDefault(Int(100, 600_000), 30_000),
      headersTimeoutMs: withDefault(Int(100, 600_000), 10_000),
      keepAliveTimeoutMs: withDefault(Int(100, 600_000), 5_000),
      maxConnections: withDefault(Int(1, 1_000_000), 1024)
    }),
    {}
  ),
  shutdown: withDefault(Schema.Struct({ drainTimeoutMs: withDefault(Int(0, 600_000), 10_000) }), {}),
  lockout: Schema.optionalKey(
    Schema.Struct({ key: Schema.optionalKey(LockoutSettings), address: Schema.optionalKey(LockoutSettings) })
  ),
  log: withDefault(
    Schema.Struct({
      level: withDefault(
        Schema.Literals(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
        "info"
      )
    }),
    {}
  ),
  /**
   * SQLite durability when `storage.kind` is `sqlite`: `FULL` (default) puts every commit on
   * disk before it is acknowledged, also across power loss; `NORMAL` survives a crash of the
   * process but may lose the last commits on power loss, and is far faster on slow disks.
   */
  sqliteSynchronous: withDefault(Schema.Literals(["FULL", "NORMAL"]), "FULL"),
  /** Serve the admin UI at `/admin/`. */
  adminUi: withDefault(Schema.Boolean, true)
}).annotate({ identifier: "GatewaySettings" })
export type GatewaySettings = typeof GatewaySettings.Type
export type GatewaySettingsInput = typeof GatewaySettings.Encoded

/** A gateway host's configuration: the BGA configuration and its `gateway` section. */
export interface GatewayConfig {
  readonly config: BgaConfig
  readonly gateway: GatewaySettings
}

const invalid = (
  source: string,
  problems: ReadonlyArray<{ readonly path: string; readonly message: string }>
) => new ConfigError({ reason: "invalid", source, problems: [...problems] })

/**
 * Decodes a gateway configuration value: the `gateway` key is the gateway's section, everything
 * else is the BGA configuration, decoded by the core loader (unknown keys refused, secrets
 * resolved, B2B defaults filled in).
 */
export const decodeGatewayConfig = (
  input: unknown,
  options: { readonly source?: string; readonly secrets?: SecretSource } = {}
): Result.Result<GatewayConfig, ConfigError> => {
  const source = options.source ?? "value"
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return Result.fail(invalid(source, [{ path: "$", message: "expected a JSON object" }]))
  }
  const { gateway = {}, ...rest } = input as Record<string, unknown>
  const config = decodeConfig(rest, options)
  if (Result.isFailure(config)) return Result.fail(config.failure)
  const settings = decodeUnknown(GatewaySettings, "gateway settings")(gateway)
  if (Result.isFailure(settings)) {
    return Result.fail(
      invalid(
        source,
        settings.failure.problems.map((p) => ({ ...p, path: p.path.replace(/^\$/u, "$.gateway") }))
      )
    )
  }
  return Result.succeed({ config: config.success, gateway: settings.success })
}

/** Reads a gateway configuration file (JSON). */
export const loadGatewayConfigFile = (
  path: string,
  options: { readonly secrets?: SecretSource } = {}
): Result.Result<GatewayConfig, ConfigError> =>
  Result.flatMap(readConfigJson(path), (input) => decodeGatewayConfig(input, { source: path, ...options }))

/** Where the generated pepper lives when `keyPepper` is not set. */
export const pepperFile = (settings: GatewaySettings): string => join(settings.dataDir, "gateway-key-pepper")

/**
 * The key pepper: `keyPepper` when set, else the pepper file, created (32 random bytes,
 * readable by its owner only) when `create` is set and the file is missing.
 */
export const resolveKeyPepper = (
  settings: GatewaySettings,
  options: { readonly create?: boolean; readonly secrets?: SecretSource } = {}
): Result.Result<Redacted.Redacted<string>, ConfigError> => {
  const fromRef = (ref: SecretRef) =>
    Result.flatMap(resolveSecret(ref, options.secrets), (value) =>
      Redacted.value(value).length >= 32
        ? Result.succeed(value)
        : Result.fail(
            invalid("gateway.keyPepper", [
              { path: "$.gateway.keyPepper", message: "the pepper must have at least 32 characters" }
            ])
          )
    )
  if (settings.keyPepper !== undefined) return fromRef(settings.keyPepper)
  const file = pepperFile(settings)
  if (options.create === true) {
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
      writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        return Result.fail(
          new ConfigError({
            reason: "unreadable",
            source: file,
            problems: [
              {
                path: "$.gateway.dataDir",
                message: `cannot create the key pepper: ${(error as Error).message}`
              }
            ]
          })
        )
      }
    }
  }
  return fromRef({ $file: file })
}
