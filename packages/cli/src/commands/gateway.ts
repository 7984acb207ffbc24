import type { Command } from "commander"
import { type ConfigOptions, configPath } from "../context.js"
import { CliFailure, type CliIo } from "../io.js"

/** What `bga gateway start` needs from the gateway host (examples/gateway in this repository). */
interface GatewayHostModule {
  readonly startFromConfig: (options: {
    readonly configPath?: string
    readonly overrides?: Record<string, unknown>
    readonly model: unknown
    readonly cwd?: string
  }) => Promise<{ readonly url: string; readonly stop: () => Promise<void> }>
  readonly loadModelModule: (specifier: string, cwd?: string) => Promise<unknown>
  readonly stopOnSignals: (host: unknown) => void
}

/** The host package; a variable so the CLI builds without it (it is a workspace example, not a dependency). */
const hostPackage = "@bga/example-gateway"

const loadHost = async (): Promise<GatewayHostModule> => {
  try {
    return (await import(hostPackage)) as GatewayHostModule
  } catch (error) {
    throw new CliFailure(
      `the gateway host (${hostPackage}, examples/gateway in the BGA repository) is not installed here: ${(error as Error).message}`
    )
  }
}

const port = (value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new CliFailure(`--port ${value}: expected a port number`)
  return n
}

/** Registers `bga gateway start`. */
export const registerGatewayCommands = (program: Command, io: CliIo): void => {
  const gateway = program
    .command("gateway")
    .description("the per-customer gateway (operator API and admin UI)")
  gateway
    .command("start")
    .description("start the gateway with the configuration file; runs until SIGINT or SIGTERM, then drains")
    .requiredOption(
      "--model <module>",
      "module whose default export is an AI SDK language model or a BGA ModelPort"
    )
    .option("--config <file>", "configuration file (default: bga.config.json when present)")
    .option("--host <address>", "listen address (default: gateway.host, 127.0.0.1)")
    .option("--port <port>", "listen port (default: gateway.port, 8787)", port)
    .option("--data-dir <dir>", "folder of the key pepper (default: gateway.dataDir, .data)")
    .action(
      async (options: ConfigOptions & { model: string; host?: string; port?: number; dataDir?: string }) => {
        const host = await loadHost()
        const model = await host.loadModelModule(options.model, io.cwd)
        const path = configPath(io, options)
        const running = await host.startFromConfig({
          ...(path === undefined ? {} : { configPath: path }),
          cwd: io.cwd,
          model,
          overrides: {
            ...(options.host === undefined ? {} : { host: options.host }),
            ...(options.port === undefined ? {} : { port: options.port }),
            ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir })
          }
        })
        io.out(
          JSON.stringify({
            url: running.url,
            admin: `${running.url}/admin/`,
            openapi: `${running.url}/api/v1/openapi.json`
          })
        )
        host.stopOnSignals(running)
      }
    )
}
