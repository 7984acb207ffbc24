/**
 * BGA core: contracts, configuration and the ports every BGA package builds on.
 * Each area is also published as its own subpath (`@bga/core/contracts`, `@bga/core/config`,
 * ...); `@bga/core/promise` is the Promise API for services that do not use Effect.
 *
 * @module
 */

export * as Audit from "./audit/index.js"
export * as Config from "./config/index.js"
export * as Contracts from "./contracts/index.js"
export * as Egress from "./egress/index.js"
export { canonicalJson, hashOf, sha256Hex } from "./hash.js"
export { isId, newId, newTraceId } from "./ids.js"
export * as Json from "./json/index.js"
export * as Model from "./model/index.js"
export * as Orchestrator from "./orchestrator/index.js"
export * as Plugins from "./plugins/index.js"
export * as Policy from "./policy/index.js"
export * as Sandbox from "./sandbox/index.js"
export * as Secrets from "./secrets/index.js"
export * as Storage from "./storage/index.js"
export * as Tools from "./tools/index.js"
