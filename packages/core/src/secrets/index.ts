/**
 * The Secrets port and its env, file and in-memory providers, plus the scrubber that keeps
 * secret values out of model input, logs and audit records.
 *
 * @module
 */
export { makeScrubber, REDACTED, type SecretScrubber } from "./redact.js"
export {
  envVarName,
  layerEnv,
  layerFiles,
  layerMemory,
  makeEnv,
  makeFiles,
  makeMemory,
  SecretError,
  Secrets,
  type SecretsShape
} from "./Secrets.js"
