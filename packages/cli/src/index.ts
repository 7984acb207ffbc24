/**
 * The `bga` command line as a library: `runCli` for embedding and tests, and the command-group
 * list other areas extend.
 *
 * @module
 */
export { type ConfigOptions, cliRecorder, hostFrom, loadConfig } from "./context.js"
export { CliFailure, type CliIo, processIo } from "./io.js"
export { type CommandGroup, commandGroups, makeProgram, runCli } from "./program.js"
export { loadGatewayConfig, withStore } from "./storage.js"
