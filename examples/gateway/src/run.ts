import { resolve } from "node:path"
import { Gateway, type Model, type Tools } from "@bga/core"
import { Result } from "effect"
import { type GatewayHost, startGatewayHost } from "./host.js"

/** How `bga gateway start` and `pnpm start` run the host. */
export interface StartFromConfigOptions {
  /** Configuration file; defaults apply without one (loopback, SQLite in `.data`). */
  readonly configPath?: string
  /** Overrides of the file's `gateway` section (command-line flags). */
  readonly overrides?: Gateway.GatewaySettingsInput
  readonly model: Model.ModelPortShape
  readonly tools?: ReadonlyArray<Tools.ToolDefinition>
  /** Relative paths in the configuration are resolved against this folder (the working folder unless set). */
  readonly cwd?: string
}

/** Loads the configuration and starts the host. */
export const startFromConfig = async (options: StartFromConfigOptions): Promise<GatewayHost> => {
  const cwd = options.cwd ?? process.cwd()
  const loaded =
    options.configPath === undefined
      ? Gateway.decodeGatewayConfig({})
      : Gateway.loadGatewayConfigFile(resolve(cwd, options.configPath))
  if (Result.isFailure(loaded)) throw loaded.failure
  const merged = Gateway.decodeGatewayConfig({
    gateway: { ...encodeSettings(loaded.success.gateway), ...options.overrides }
  })
  if (Result.isFailure(merged)) throw merged.failure
  const settings = {
    ...merged.success.gateway,
    dataDir: resolve(cwd, merged.success.gateway.dataDir),
    ...(merged.success.gateway.policyFile === undefined
      ? {}
      : { policyFile: resolve(cwd, merged.success.gateway.policyFile) })
  }
  const config = loaded.success.config
  const storage =
    config.storage.kind === "sqlite" && config.storage.path !== ":memory:"
      ? { ...config.storage, path: resolve(cwd, config.storage.path) }
      : config.storage
  return startGatewayHost({
    config: { ...config, storage },
    settings,
    model: options.model,
    ...(options.tools === undefined ? {} : { tools: options.tools })
  })
}

// Decoded settings are valid input again (every default filled in), so flags can be laid over them.
const encodeSettings = (settings: Gateway.GatewaySettings): Gateway.GatewaySettingsInput => settings

/** Stops the host on SIGINT or SIGTERM (a second signal exits at once). */
export const stopOnSignals = (host: GatewayHost, onStopped: () => void = () => process.exit(0)): void => {
  let stopping = false
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130)
    stopping = true
    host.logger.info({ signal }, "shutting down")
    host.stop().then(onStopped, (error: unknown) => {
      host.logger.error({ err: error }, "shutdown failed")
      process.exit(1)
    })
  }
  process.on("SIGINT", handler)
  process.on("SIGTERM", handler)
}
