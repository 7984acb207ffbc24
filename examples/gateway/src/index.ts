/**
 * The reference per-customer gateway: `startGatewayHost` composes storage (SQLite by default,
 * PostgreSQL by configuration), the policy engine, the tool runtime, the run orchestrator, API
 * keys and the gateway methods, and serves them over HTTP with the admin UI.
 * `startFromConfig` does the same from a configuration file (`bga gateway start`).
 *
 * @module
 */
export {
  type GatewayHost,
  type GatewayHostOptions,
  type HostServices,
  type OrchestratorLayer,
  startGatewayHost
} from "./host.js"
export { type HttpTransport, type HttpTransportOptions, makeHttpTransport } from "./http/handler.js"
export { type Logger, makeLogger } from "./logger.js"
export { loadModelModule } from "./model.js"
export { type StartFromConfigOptions, startFromConfig, stopOnSignals } from "./run.js"
export { storageLayer } from "./storage.js"
export { layerAuditTraceSink } from "./traceSink.js"
