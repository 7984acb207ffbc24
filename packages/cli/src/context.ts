import { appendFileSync, existsSync, readFileSync } from "node:fs"
import { resolve } from "node:path"
import { type Config, Gateway } from "@bga/core"
import {
  make as makePluginHost,
  type PluginGovernanceRecorder,
  type PluginHostShape,
  platformContext,
  trustPolicyFromConfig
} from "@bga/core/plugins"
import { Effect, Result } from "effect"
import { CliFailure, type CliIo } from "./io.js"

/** Options every command that reads configuration takes. */
export interface ConfigOptions {
  readonly config?: string
  readonly auditFile?: string
}

/** The configuration file: --config, else `bga.config.json` in the working folder when present. */
export const configPath = (io: CliIo, options: ConfigOptions): string | undefined => {
  const path =
    options.config ?? (existsSync(resolve(io.cwd, "bga.config.json")) ? "bga.config.json" : undefined)
  return path === undefined ? undefined : resolve(io.cwd, path)
}

/**
 * Loads the configuration: the file named by --config, else `bga.config.json` in the working
 * folder when present, else the defaults (an empty keyring, so nothing is trusted). The file
 * may carry a `gateway` section (the gateway host's settings); every other key is checked
 * strictly by the core loader.
 */
export const loadConfig = (io: CliIo, options: ConfigOptions): Config.BgaConfig => {
  const path = configPath(io, options)
  if (path === undefined) return Result.getOrThrow(Gateway.decodeGatewayConfig({})).config
  const loaded = Gateway.loadGatewayConfigFile(path)
  if (Result.isFailure(loaded)) throw new CliFailure(loaded.failure.message)
  return loaded.success.config
}

/**
 * Records plugin decisions: appended as JSON lines to --audit-file when given, and always
 * summarized on stderr so an operator sees why something was refused.
 */
export const cliRecorder = (io: CliIo, auditFile: string | undefined): PluginGovernanceRecorder => ({
  record: (decision, event) =>
    Effect.sync(() => {
      if (auditFile !== undefined) {
        appendFileSync(resolve(io.cwd, auditFile), `${JSON.stringify({ decision, event })}\n`)
      }
      io.err(`decision ${decision.decisionId}: ${decision.effect} ${decision.action} ${event.plugin}`)
    })
})

/** A plugin host configured from the configuration file and command options. */
export const hostFrom = (
  io: CliIo,
  options: ConfigOptions & { readonly dir?: string }
): { readonly host: PluginHostShape; readonly installDir: string } => {
  const config = loadConfig(io, options)
  const policy = trustPolicyFromConfig(config.plugins, {
    readFile: (path) => readFileSync(resolve(io.cwd, path), "utf8")
  })
  if (Result.isFailure(policy)) throw new CliFailure(policy.failure.message)
  const installDir = resolve(io.cwd, options.dir ?? config.plugins.installDir)
  const context = config.deployment.id
    ? { ...platformContext, customerInstanceId: config.deployment.id }
    : platformContext
  return {
    host: makePluginHost({
      policy: policy.success,
      installDir,
      recorder: cliRecorder(io, options.auditFile),
      context
    }),
    installDir
  }
}
