import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import {
  generateSigningKey,
  keyIdOf,
  type PluginSource,
  parsePrivateKey,
  publicKeyOf,
  signCatalog,
  signPackage
} from "@bga/core/plugins"
import type { Command } from "commander"
import { Effect, Exit, Result } from "effect"
import { type ConfigOptions, hostFrom } from "../../context.js"
import { CliFailure, type CliIo } from "../../io.js"

/** Reads a source argument: `npm:<spec>`, a tarball (.tgz, .tar.gz, .tar) or a folder. */
export const sourceOf = (io: CliIo, arg: string): PluginSource => {
  if (arg.startsWith("npm:")) return { kind: "npm", spec: arg.slice(4) }
  const path = resolve(io.cwd, arg)
  if (!existsSync(path)) throw new CliFailure(`${arg} does not exist (use npm:<spec> for the registry)`)
  return statSync(path).isDirectory() ? { kind: "directory", path } : { kind: "tarball", path }
}

const readPrivateKey = (io: CliIo, file: string) => {
  let pem: string
  try {
    pem = readFileSync(resolve(io.cwd, file), "utf8")
  } catch {
    throw new CliFailure(`cannot read the private key ${file}`)
  }
  const key = parsePrivateKey(pem)
  if (Result.isFailure(key)) throw new CliFailure(key.failure.message)
  return key.success
}

const run = async <A>(effect: Effect.Effect<A, { readonly message: string }>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  const error = Exit.findErrorOption(exit)
  throw new CliFailure(error._tag === "Some" ? error.value.message : "failed")
}

/** Registers `bga plugin keygen | sign | verify | install | catalog-sign`. */
export const registerPluginCommands = (program: Command, io: CliIo): void => {
  const plugin = program.command("plugin").description("sign, verify and install plugins")
  const json = (value: unknown) => io.out(JSON.stringify(value, null, 2))

  plugin
    .command("keygen")
    .description("generate an ed25519 publisher key pair")
    .requiredOption("--out <dir>", "folder to write <name>.private.pem and <name>.public.json into")
    .option("--name <name>", "file name stem", "publisher")
    .action((options: { out: string; name: string }) => {
      const dir = resolve(io.cwd, options.out)
      const privateFile = join(dir, `${options.name}.private.pem`)
      const publicFile = join(dir, `${options.name}.public.json`)
      if (existsSync(privateFile) || existsSync(publicFile))
        throw new CliFailure(`${privateFile} or ${publicFile} exists; not overwriting`)
      mkdirSync(dir, { recursive: true })
      const key = generateSigningKey()
      writeFileSync(privateFile, key.privateKeyPem, { mode: 0o600, flag: "wx" })
      writeFileSync(
        publicFile,
        `${JSON.stringify({ keyId: key.keyId, publicKey: key.publicKey }, null, 2)}\n`,
        { flag: "wx" }
      )
      json({
        keyId: key.keyId,
        publicKey: key.publicKey,
        privateKeyFile: privateFile,
        publicKeyFile: publicFile
      })
    })

  plugin
    .command("sign")
    .description("compute the package checksum and sign bga-plugin.json in place")
    .argument("<dir>", "plugin package folder")
    .requiredOption("--key <file>", "PKCS#8 PEM private key")
    .option("--key-id <id>", "key id (defaults to the key's fingerprint id)")
    .action((dir: string, options: { key: string; keyId?: string }) => {
      const privateKey = readPrivateKey(io, options.key)
      const keyId = options.keyId ?? keyIdOf(publicKeyOf(privateKey))
      const signed = signPackage(resolve(io.cwd, dir), privateKey, keyId)
      if (Result.isFailure(signed)) throw new CliFailure(signed.failure.message)
      json({
        plugin: `${signed.success.name}@${signed.success.version}`,
        checksum: signed.success.checksum,
        keyId
      })
    })

  plugin
    .command("verify")
    .description("verify a plugin folder or tarball against the configured trust policy, without running it")
    .argument("<source>", "folder or tarball")
    .option("--config <file>", "configuration file (default: bga.config.json when present)")
    .action(async (source: string, options: ConfigOptions) => {
      const { host } = hostFrom(io, options)
      const verified = await run(host.verify(sourceOf(io, source)))
      json({
        plugin: `${verified.manifest.name}@${verified.manifest.version}`,
        trusted: true,
        trustMode: verified.mode,
        keyId: verified.keyId,
        checksum: verified.contents.checksum,
        files: verified.contents.files,
        permissions: verified.manifest.permissions,
        isolation: verified.allowedIsolation
      })
    })

  plugin
    .command("install")
    .description("verify and install a plugin from a folder, a tarball or npm:<spec>")
    .argument("<source>", "folder, tarball, or npm:<spec>")
    .option("--config <file>", "configuration file (default: bga.config.json when present)")
    .option("--dir <dir>", "install folder (default: plugins.installDir)")
    .option("--replace", "replace an installed plugin of the same name@version")
    .option("--audit-file <file>", "append each decision and audit event as a JSON line")
    .action(async (source: string, options: ConfigOptions & { dir?: string; replace?: boolean }) => {
      const { host } = hostFrom(io, options)
      const installed = await run(
        host.install(sourceOf(io, source), options.replace ? { replace: true } : {})
      )
      json({ plugin: installed.ref, dir: installed.dir, receipt: installed.receipt })
    })

  plugin
    .command("catalog-sign")
    .description("sign a curated catalog (PluginCatalogV1) in place")
    .argument("<file>", "catalog JSON file")
    .requiredOption("--key <file>", "PKCS#8 PEM private key of a catalog signing key")
    .option("--key-id <id>", "key id (defaults to the key's fingerprint id)")
    .action((file: string, options: { key: string; keyId?: string }) => {
      const privateKey = readPrivateKey(io, options.key)
      const keyId = options.keyId ?? keyIdOf(publicKeyOf(privateKey))
      const path = resolve(io.cwd, file)
      let catalog: unknown
      try {
        catalog = JSON.parse(readFileSync(path, "utf8"))
      } catch (error) {
        throw new CliFailure(`cannot read ${file}: ${(error as Error).message}`)
      }
      const signed = signCatalog(catalog, privateKey, keyId)
      if (Result.isFailure(signed)) throw new CliFailure(signed.failure.message)
      writeFileSync(path, `${JSON.stringify(signed.success, null, 2)}\n`)
      json({ catalog: path, entries: signed.success.entries.length, keyId })
    })
}
