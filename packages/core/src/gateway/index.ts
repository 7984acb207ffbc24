/**
 * The operator gateway, independent of any transport: every method (`runs.create`,
 * `runs.get`, `runs.list`, `runs.cancel`, `runs.events`, `approvals.list`, `approvals.resolve`,
 * `audit.events.list`, `audit.verify`, `policy.evaluate`, `auth.whoami`, `health`, `ready`) with
 * its scope and input/output schemas, the `Gateway` service whose `call` authenticates, checks
 * scopes, decodes and dispatches, operator API keys (stored as keyed hashes, bound to one
 * customer instance, with lockouts and audited failures), the OpenAPI document generated from
 * the same schemas, and the gateway section of a host's configuration. `examples/gateway` serves
 * it over HTTP.
 *
 * @example
 * ```ts
 * import { Gateway } from "@bga/core"
 * const result = yield* gateway.call({ method: "runs.get", body: '{"runId":"..."}', credential, clientAddress, requestId })
 * if (result._tag === "Failure") reply(result.error.status, Gateway.errorBody(result.error, requestId))
 * ```
 *
 * @module
 */

export { type ApiKeyInfo, ApiKeyRecord, CreateKeyInput, KeyName, KeyScopes } from "./auth/ApiKeyRecord.js"
export {
  ApiKeys,
  type ApiKeysOptions,
  type ApiKeysShape,
  AuthFailure,
  type AuthFailureReason,
  keyNamespace,
  keyPath,
  layer as layerApiKeys,
  make as makeApiKeys,
  type Principal
} from "./auth/ApiKeys.js"
export {
  defaultAddressLockout,
  defaultKeyLockout,
  Lockout,
  type LockoutLimits,
  type LockState
} from "./auth/lockout.js"
export {
  formatToken,
  keyMac,
  maxTokenLength,
  type ParsedToken,
  parseToken,
  tokenPrefix
} from "./auth/token.js"
export {
  Gateway,
  type GatewayCall,
  type GatewayDeps,
  type GatewayLog,
  type GatewayOptions,
  type GatewayResult,
  type GatewayShape,
  layer,
  make
} from "./Gateway.js"
export { ErrorBody, errorBody, GatewayError, GatewayErrorCode, httpStatusOf } from "./GatewayError.js"
export {
  defineMethod,
  type GatewayMethod,
  type GatewayServices,
  type MethodAccess,
  type MethodContext,
  type Readiness
} from "./GatewayMethod.js"
export { EmptyInput, gatewayMethods, methodsByName, RunsCreateInput } from "./methods.js"
export { methodPath, type OpenApiOptions, openApiDocument } from "./openapi.js"
export { keysToPromise, type PromiseApiKeys, type PromiseGateway, toPromise } from "./promise.js"
export * from "./schemas.js"
export { effectiveScopes, grants, Scope, scopes } from "./scopes.js"
export {
  decodeGatewayConfig,
  type GatewayConfig,
  GatewaySettings,
  type GatewaySettingsInput,
  loadGatewayConfigFile,
  pepperFile,
  resolveKeyPepper
} from "./settings.js"
