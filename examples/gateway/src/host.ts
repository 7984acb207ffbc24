import { createServer, type Server } from "node:http"
import { createRequire } from "node:module"
import type { AddressInfo } from "node:net"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Audit, Config, Gateway, Model, Orchestrator, Policy, Secrets, type Storage, Tools } from "@bga/core"
import { Effect, Layer, ManagedRuntime, Result } from "effect"
import { makeHttpTransport } from "./http/handler.js"
import { loadAdminFiles } from "./http/staticFiles.js"
import { type Logger, makeLogger } from "./logger.js"
import { storageLayer } from "./storage.js"
import { layerAuditTraceSink } from "./traceSink.js"

/** The services the host builds before the orchestrator, which may use any of them. */
export type HostServices =
  | Storage.StoragePorts
  | Config.ConfigService
  | Secrets.Secrets
  | Model.ModelPort
  | Policy.PolicyTraceSink
  | Policy.PolicyEngine
  | Tools.ToolRuntime

/** A run orchestrator layer over the host's services (to replace the default one). */
export type OrchestratorLayer = Layer.Layer<Orchestrator.Orchestrator, unknown, HostServices>

/** What a gateway host is made of. */
export interface GatewayHostOptions {
  readonly config: Config.BgaConfig
  readonly settings: Gateway.GatewaySettings
  /** The model runs talk to. */
  readonly model: Model.ModelPortShape
  /**
   * Options of the run orchestrator (lanes, budgets, the agent's instructions, ...). The host
   * adds the tool registry and recovers the runs of the configured customer instances and of
   * `customerInstances` at start.
   */
  readonly orchestratorOptions?: Omit<Orchestrator.OrchestratorOptions, "tools">
  /** Replaces the orchestrator service built from `orchestratorOptions` (tests, custom hosts). */
  readonly orchestrator?: OrchestratorLayer
  /** Tools the agents may call (policy decides which, for whom). */
  readonly tools?: ReadonlyArray<Tools.ToolDefinition>
  /** A policy document; without one, `settings.policyFile` is read (and without that, only the baseline applies). */
  readonly policyDocument?: unknown
  /** Secrets provider for tools; environment variables named by `Secrets.envVarName` (`BGA_SECRET__<INSTANCE>__<NAME>`) unless set. */
  readonly secrets?: Secrets.SecretsShape
  readonly logger?: Logger
  readonly version?: string
}

/** A running gateway. */
export interface GatewayHost {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string
  readonly port: number
  readonly gateway: Gateway.GatewayShape
  readonly keys: Gateway.ApiKeysShape
  readonly orchestrator: Orchestrator.OrchestratorShape
  readonly audit: Audit.AuditLogShape
  readonly logger: Logger
  /** Runs an effect against the host's services (seeding, tests). */
  readonly run: <A, E>(
    effect: Effect.Effect<A, E, HostServices | Gateway.ApiKeys | Orchestrator.Orchestrator>
  ) => Promise<A>
  /**
   * Graceful shutdown: readiness fails, new calls are refused with `shutting_down`, calls in
   * flight finish (up to `shutdown.drainTimeoutMs`), then the orchestrator and storage close
   * (the orchestrator's layer releases the leases of the runs it holds).
   */
  readonly stop: () => Promise<void>
}

const here = dirname(fileURLToPath(import.meta.url))
/** The admin UI folder shipped beside `dist/`. */
export const adminDir = join(here, "..", "admin")

const coreVersion = (): string => {
  try {
    return (createRequire(import.meta.url)("@bga/core/package.json") as { version: string }).version
  } catch {
    return "0.0.0"
  }
}

const fail = (message: string): never => {
  throw new Error(message)
}

/** Composes the host's services, starts the HTTP server and resolves once it listens. */
export const startGatewayHost = async (options: GatewayHostOptions): Promise<GatewayHost> => {
  const { config, settings } = options
  const logger = options.logger ?? makeLogger(settings.log.level)
  const version = options.version ?? coreVersion()
  const pepper = Gateway.resolveKeyPepper(settings, { create: true })
  if (Result.isFailure(pepper)) fail(pepper.failure.message)
  let draining = false

  const base = Layer.mergeAll(
    Layer.succeed(Config.ConfigService, config),
    storageLayer(config, { sqliteSynchronous: settings.sqliteSynchronous }),
    Layer.succeed(Secrets.Secrets, options.secrets ?? Secrets.makeEnv()),
    Layer.succeed(Model.ModelPort, options.model)
  )
  const policyLayer =
    options.policyDocument !== undefined
      ? Policy.layerDocument(options.policyDocument)
      : Policy.layerConfig(settings.policyFile)
  const registry = Tools.makeToolRegistry(options.tools ?? [])
  const toolsLayer = Tools.layer(registry, {
    log: (line) => logger.info({ tool: line }, "tool")
  })
  const services = toolsLayer.pipe(
    Layer.provideMerge(policyLayer),
    Layer.provideMerge(layerAuditTraceSink),
    Layer.provideMerge(base)
  )
  const orchestratorOptions = options.orchestratorOptions ?? {}
  const orchestratorLayer: OrchestratorLayer =
    options.orchestrator ??
    Orchestrator.layer({
      ...orchestratorOptions,
      tools: registry,
      customerInstances: [
        ...new Set([
          ...(orchestratorOptions.customerInstances ?? []),
          ...Object.keys(config.customerInstances)
        ])
      ],
      log: orchestratorOptions.log ?? ((line) => logger.warn({ orchestrator: line }, "orchestrator"))
    })
  const withOrchestrator = orchestratorLayer.pipe(Layer.provideMerge(services))
  const keysLayer = Gateway.layerApiKeys({
    pepper: Result.getOrThrow(pepper),
    ...(settings.lockout === undefined ? {} : { lockout: settings.lockout })
  })
  const gatewayLayer = Gateway.layer({
    auditInstance: settings.auditInstance,
    version,
    draining: () => draining,
    log: (level, message, fields) => logger[level](fields, message)
  })
  const all = gatewayLayer.pipe(Layer.provideMerge(keysLayer), Layer.provideMerge(withOrchestrator))
  const runtime = ManagedRuntime.make(all)

  let parts: {
    gateway: Gateway.GatewayShape
    keys: Gateway.ApiKeysShape
    orchestrator: Orchestrator.OrchestratorShape
    audit: Audit.AuditLogShape
  }
  try {
    parts = await runtime.runPromise(
      Effect.all({
        gateway: Effect.service(Gateway.Gateway),
        keys: Effect.service(Gateway.ApiKeys),
        orchestrator: Effect.service(Orchestrator.Orchestrator),
        audit: Effect.service(Audit.AuditLog)
      })
    )
  } catch (error) {
    await runtime.dispose().catch(() => undefined)
    throw error
  }

  const transport = makeHttpTransport({
    gateway: parts.gateway,
    limits: settings.limits,
    logger,
    admin: settings.adminUi ? loadAdminFiles(adminDir) : undefined,
    draining: () => draining
  })
  const server: Server = createServer(
    {
      requestTimeout: settings.limits.requestTimeoutMs,
      // Node requires headersTimeout <= requestTimeout.
      headersTimeout: Math.min(settings.limits.headersTimeoutMs, settings.limits.requestTimeoutMs),
      keepAliveTimeout: settings.limits.keepAliveTimeoutMs,
      maxHeaderSize: 16 * 1024
    },
    transport.handle
  )
  server.maxConnections = settings.limits.maxConnections
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(settings.port, settings.host, () => {
        server.off("error", reject)
        resolve()
      })
    })
  } catch (error) {
    await runtime.dispose().catch(() => undefined)
    throw error
  }
  const port = (server.address() as AddressInfo).port
  const host = settings.host.includes(":") ? `[${settings.host}]` : settings.host
  const url = `http://${host}:${port}`
  logger.info({ url, storage: config.storage.kind, version }, "gateway listening")

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      draining = true
      logger.info({ inFlight: transport.inFlight() }, "gateway draining")
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const deadline = Date.now() + settings.shutdown.drainTimeoutMs
      while (transport.inFlight() > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        server.closeIdleConnections()
      }
      if (transport.inFlight() > 0)
        logger.warn({ inFlight: transport.inFlight() }, "drain timeout: closing connections")
      server.closeAllConnections()
      await closed
      await runtime.dispose()
      logger.info({}, "gateway stopped")
      logger.flush()
    })()
    return stopping
  }

  return {
    url,
    port,
    ...parts,
    logger,
    run: (effect) => runtime.runPromise(effect),
    stop
  }
}
