import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { Json, Policy } from "@bga/core"
import type { Command } from "commander"
import { Result } from "effect"
import type { ConfigOptions } from "../context.js"
import { CliFailure, type CliIo } from "../io.js"
import { loadGatewayConfig } from "../storage.js"

const readText = (io: CliIo, file: string): string => {
  try {
    return readFileSync(file === "-" ? 0 : resolve(io.cwd, file), "utf8")
  } catch (error) {
    throw new CliFailure(`cannot read ${file}: ${(error as Error).message}`)
  }
}

/** Registers `bga policy eval`. */
export const registerPolicyCommands = (program: Command, io: CliIo): void => {
  const policy = program.command("policy").description("ask the policy")
  policy
    .command("eval")
    .description(
      "what the policy would decide for a request, with the full trace (nothing runs, nothing is recorded)"
    )
    .requiredOption("--request <file>", "a PolicyRequest as JSON (- for standard input)")
    .option("--policy <file>", "policy document (default: gateway.policyFile of the configuration)")
    .option("--config <file>", "configuration file (default: bga.config.json when present)")
    .action((options: ConfigOptions & { request: string; policy?: string }) => {
      const { config, gateway } = loadGatewayConfig(io, options)
      const file = options.policy ?? gateway.policyFile
      const compiled =
        file === undefined
          ? Result.succeed(Policy.compilePolicy(Policy.emptyPolicyDocument, config))
          : Policy.loadPolicyFile(resolve(io.cwd, file), { config })
      if (Result.isFailure(compiled)) throw new CliFailure(compiled.failure.message)
      const parsed = Json.parseJson(readText(io, options.request), "policy request")
      if (Result.isFailure(parsed)) throw new CliFailure(parsed.failure.message)
      const request = Policy.decodePolicyRequest(parsed.success)
      if (Result.isFailure(request)) throw new CliFailure(request.failure.message)
      io.out(JSON.stringify(Policy.decide(compiled.success, request.success), null, 2))
    })
}
