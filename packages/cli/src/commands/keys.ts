import { Audit, Gateway, Storage } from "@bga/core"
import { type Command, InvalidArgumentError, Option } from "commander"
import { Effect, Result } from "effect"
import type { ConfigOptions } from "../context.js"
import { CliFailure, type CliIo } from "../io.js"
import { loadGatewayConfig, withStore } from "../storage.js"

const collect = (value: string, previous: Array<string> = []) => [...previous, value]

const collectScope = (value: string, previous: Array<string> = []) => {
  if (!(Gateway.scopes as ReadonlyArray<string>).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${Gateway.scopes.join(", ")}`)
  }
  return [...previous, value]
}

const keysService = (io: CliIo, options: ConfigOptions, create: boolean) => {
  const { config, gateway } = loadGatewayConfig(io, options)
  const pepper = Gateway.resolveKeyPepper(gateway, { create })
  if (Result.isFailure(pepper)) {
    throw new CliFailure(
      create
        ? pepper.failure.message
        : `${pepper.failure.message}\n(no key pepper yet: no key was ever created with this configuration)`
    )
  }
  const keys = Effect.map(
    Effect.all({ kv: Effect.service(Storage.KeyValue), audit: Effect.service(Audit.AuditLog) }),
    ({ kv, audit }) => Gateway.makeApiKeys(kv, audit, { pepper: pepper.success })
  )
  return { config, keys }
}

const parseExpiry = (text: string | undefined): string | undefined => {
  if (text === undefined) return undefined
  const match = /^(\d{1,5})([hd])$/u.exec(text)
  if (match === null) throw new CliFailure(`--expires-in ${text}: expected hours or days such as 12h or 90d`)
  const ms = Number(match[1]) * (match[2] === "h" ? 3_600_000 : 86_400_000)
  return new Date(Date.now() + ms).toISOString()
}

/** Registers `bga keys create | list | revoke`. */
export const registerKeysCommands = (program: Command, io: CliIo): void => {
  const keys = program
    .command("keys")
    .description("operator API keys of the gateway (bound to one customer instance, with scopes)")
  const json = (value: unknown) => io.out(JSON.stringify(value, null, 2))

  keys
    .command("create")
    .description("create an API key; the key is printed once and only its keyed hash is stored")
    .requiredOption("--instance <id>", "customer instance the key is bound to")
    .requiredOption("--name <name>", "what the key is for (shown in keys list and the audit log)")
    .addOption(
      new Option("--scope <scope>", `a scope the key carries, repeat for more (${Gateway.scopes.join(", ")})`)
        .argParser(collectScope)
        .makeOptionMandatory()
    )
    .option(
      "--role <role>",
      "a role of the key's actor for policy rules, e.g. approver (repeat for more)",
      collect
    )
    .option("--actor-id <id>", "who acts with this key (default: apikey:<name>)")
    .addOption(
      new Option("--actor-kind <kind>", "user or service").choices(["user", "service"]).default("service")
    )
    .option("--display-name <name>", "the actor's display name")
    .option("--environment <env>", "environment runs started with the key belong to", "production")
    .option("--expires-in <duration>", "expiry such as 12h or 90d (default: never)")
    .option("--by <who>", "who creates the key (recorded in the audit log)", process.env.USER ?? "cli")
    .option("--config <file>", "configuration file (default: bga.config.json when present)")
    .action(
      async (
        options: ConfigOptions & {
          instance: string
          name: string
          scope: Array<string>
          role?: Array<string>
          actorId?: string
          actorKind: "user" | "service"
          displayName?: string
          environment: string
          expiresIn?: string
          by: string
        }
      ) => {
        const { config, keys: service } = keysService(io, options, true)
        const expiresAt = parseExpiry(options.expiresIn)
        const created = await withStore(
          config,
          Effect.flatMap(service, (k) =>
            k.create({
              customerInstanceId: options.instance,
              name: options.name,
              scopes: options.scope as Array<Gateway.Scope>,
              environment: options.environment,
              actor: {
                kind: options.actorKind,
                id: options.actorId ?? `apikey:${options.name}`,
                roles: options.role ?? [],
                ...(options.displayName === undefined ? {} : { displayName: options.displayName })
              },
              createdBy: options.by,
              ...(expiresAt === undefined ? {} : { expiresAt })
            })
          )
        )
        json({ token: created.token, key: created.key })
        io.err("This is the only time the key is shown: store it now (a password manager or a secret store).")
      }
    )

  keys
    .command("list")
    .description("list the keys of a customer instance (never their secrets)")
    .requiredOption("--instance <id>", "customer instance")
    .option("--config <file>", "configuration file (default: bga.config.json when present)")
    .action(async (options: ConfigOptions & { instance: string }) => {
      const { config, keys: service } = keysService(io, options, false)
      json(
        await withStore(
          config,
          Effect.flatMap(service, (k) => k.list(options.instance))
        )
      )
    })

  keys
    .command("revoke")
    .description("revoke a key at once")
    .argument("<keyId>", "the key id (from keys list)")
    .requiredOption("--instance <id>", "customer instance")
    .option("--by <who>", "who revokes the key (recorded in the audit log)", process.env.USER ?? "cli")
    .option("--config <file>", "configuration file (default: bga.config.json when present)")
    .action(async (keyId: string, options: ConfigOptions & { instance: string; by: string }) => {
      const { config, keys: service } = keysService(io, options, false)
      json(
        await withStore(
          config,
          Effect.flatMap(service, (k) => k.revoke(options.instance, keyId, options.by))
        )
      )
    })
}
