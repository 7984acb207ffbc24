/**
 * BGA configuration: the schema with the B2B production defaults built in, a strict JSON file
 * loader with secret references, and the `ConfigService` for Effect programs.
 *
 * @example
 * ```ts
 * import { Config } from "@bga/core"
 * const config = Config.loadConfigFile("bga.config.json") // Result<BgaConfig, ConfigError>
 * ```
 *
 * @module
 */
export { ConfigError } from "./ConfigError.js"
export {
  ConfigService,
  decodeConfig,
  defaultConfig,
  type InstanceSettings,
  instanceSettings,
  layer,
  layerFile,
  loadConfigFile,
  readConfigJson,
  resolveSecret,
  type SecretSource
} from "./load.js"
export * from "./schema.js"
