import { Command, CommanderError } from "commander"
import { registerAuditCommands } from "./commands/audit.js"
import { registerGatewayCommands } from "./commands/gateway.js"
import { registerKeysCommands } from "./commands/keys.js"
import { registerPluginCommands } from "./commands/plugin/index.js"
import { registerPolicyCommands } from "./commands/policy.js"
import { CliFailure, type CliIo } from "./io.js"

/**
 * One group of commands (`plugin`, `gateway`, `keys`, `audit`, `policy`): each area adds itself
 * to this list with a register function; nothing else in the CLI changes.
 */
export type CommandGroup = (program: Command, io: CliIo) => void

/** The command groups of `bga`. */
export const commandGroups: ReadonlyArray<CommandGroup> = [
  registerPluginCommands,
  registerGatewayCommands,
  registerKeysCommands,
  registerAuditCommands,
  registerPolicyCommands
]

/** Builds the `bga` program with output bound to `io`. */
export const makeProgram = (io: CliIo, groups: ReadonlyArray<CommandGroup> = commandGroups): Command => {
  const program = new Command("bga")
    .description("BGA: governed agents for businesses")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
  for (const group of groups) group(program, io)
  return program
}

/** Runs `bga` with arguments (without `node` and the script); resolves to the exit code. */
export const runCli = async (args: ReadonlyArray<string>, io: CliIo): Promise<number> => {
  try {
    await makeProgram(io).parseAsync([...args], { from: "user" })
    return 0
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
    if (error instanceof CliFailure) {
      io.err(`bga: ${error.message}`)
      return error.exitCode
    }
    io.err(`bga: unexpected error: ${(error as Error)?.stack ?? String(error)}`)
    return 1
  }
}
