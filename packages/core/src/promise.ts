/**
 * The Promise API, for services that do not use Effect. Every function here mirrors an Effect
 * API of the same area; failures reject with the same typed error classes (check `error._tag`
 * or use `instanceof`).
 *
 * @example
 * ```ts
 * import { loadConfigFile, decodeRunRequest } from "@bga/core/promise"
 * const config = await loadConfigFile("bga.config.json")
 * const request = await decodeRunRequest(JSON.parse(body))
 * ```
 *
 * @module
 */
import { Result } from "effect"
import type { ConfigError } from "./config/ConfigError.js"
import {
  decodeConfig as decodeConfigResult,
  loadConfigFile as loadConfigResult,
  type SecretSource
} from "./config/load.js"
import type { BgaConfig } from "./config/schema.js"
import { decodeJson, decodeUnknown } from "./contracts/decode.js"
import { RunRequestV2 } from "./contracts/RunRequest.js"
import type { InvalidInputError } from "./json/JsonError.js"

/** Resolves a Result as a Promise: success resolves, failure rejects with the typed error. */
export const fromResult = <A, E>(result: Result.Result<A, E>): Promise<A> =>
  Result.isSuccess(result) ? Promise.resolve(result.success) : Promise.reject(result.failure)

/** Reads and decodes a JSON config file; rejects with `ConfigError`. */
export const loadConfigFile = (
  path: string,
  options?: { readonly secrets?: SecretSource }
): Promise<BgaConfig> => fromResult<BgaConfig, ConfigError>(loadConfigResult(path, options))

/** Decodes a configuration value; rejects with `ConfigError`. */
export const decodeConfig = (input: unknown): Promise<BgaConfig> => fromResult(decodeConfigResult(input))

/** Decodes an untrusted run request (parsed JSON); rejects with `InvalidInputError`. */
export const decodeRunRequest = (input: unknown): Promise<RunRequestV2> =>
  fromResult<RunRequestV2, InvalidInputError>(decodeUnknown(RunRequestV2, "RunRequestV2")(input))

/** Decodes an untrusted run request from JSON text; rejects with `InvalidInputError`. */
export const decodeRunRequestJson = (text: string): Promise<RunRequestV2> =>
  fromResult<RunRequestV2, InvalidInputError>(decodeJson(RunRequestV2, "RunRequestV2")(text))

export { canonicalJson, hashOf, sha256Hex } from "./hash.js"
export { newId } from "./ids.js"
