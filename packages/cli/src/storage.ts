import { mkdirSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { Config, Gateway, type Storage } from "@bga/core"
import { StoragePostgres } from "@bga/storage-postgres"
import { StorageSqlite } from "@bga/storage-sqlite"
import { Effect, Exit, type Layer, Redacted, Result } from "effect"
import { type ConfigOptions, configPath } from "./context.js"
import { CliFailure, type CliIo } from "./io.js"

/** The configuration of commands that reach the store: the BGA configuration and the gateway section. */
export const loadGatewayConfig = (io: CliIo, options: ConfigOptions): Gateway.GatewayConfig => {
  const path = configPath(io, options)
  const loaded = path === undefined ? Gateway.decodeGatewayConfig({}) : Gateway.loadGatewayConfigFile(path)
  if (Result.isFailure(loaded)) throw new CliFailure(loaded.failure.message)
  const { config, gateway } = loaded.success
  // Relative paths are relative to the working folder of the command.
  return {
    config:
      config.storage.kind === "sqlite" && config.storage.path !== ":memory:"
        ? { ...config, storage: { ...config.storage, path: resolve(io.cwd, config.storage.path) } }
        : config,
    gateway: { ...gateway, dataDir: resolve(io.cwd, gateway.dataDir) }
  }
}

/** The store the configuration names (SQLite or PostgreSQL; a memory store would be empty). */
const storageLayer = (config: Config.BgaConfig): Layer.Layer<Storage.StoragePorts, Storage.StorageError> => {
  const storage = config.storage
  if (storage.kind === "sqlite") {
    mkdirSync(dirname(storage.path), { recursive: true, mode: 0o700 })
    return StorageSqlite.layer({ path: storage.path })
  }
  if (storage.kind === "postgres") {
    const url = Config.resolveSecret(storage.url)
    if (Result.isFailure(url)) throw new CliFailure(url.failure.message)
    return StoragePostgres.layer({ url: Redacted.value(url.success) })
  }
  throw new CliFailure('storage.kind is "memory": there is no stored data for a command to reach')
}

/** Runs an effect against the configured store, turning a typed failure into a CLI failure. */
export const withStore = async <A>(
  config: Config.BgaConfig,
  effect: Effect.Effect<A, { readonly message: string }, Storage.StoragePorts>
): Promise<A> => {
  const exit = await Effect.runPromiseExit(Effect.provide(effect, storageLayer(config)))
  if (Exit.isSuccess(exit)) return exit.value
  const error = Exit.findErrorOption(exit)
  throw new CliFailure(error._tag === "Some" ? error.value.message : `failed: ${String(exit.cause)}`)
}
