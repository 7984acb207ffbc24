import { createWriteStream, readFileSync } from "node:fs"
import { resolve } from "node:path"
import { Audit } from "@bga/core"
import type { Command } from "commander"
import { Effect, Stream } from "effect"
import type { ConfigOptions } from "../context.js"
import { CliFailure, type CliIo } from "../io.js"
import { loadGatewayConfig, withStore } from "../storage.js"

const seq = (name: string) => (value: string) => {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 1)
    throw new CliFailure(`${name} ${value}: expected a sequence number (1 or more)`)
  return n
}

/** Registers `bga audit verify | export`. */
export const registerAuditCommands = (program: Command, io: CliIo): void => {
  const audit = program.command("audit").description("verify and export a customer instance's audit chain")
  const json = (value: unknown) => io.out(JSON.stringify(value, null, 2))

  audit
    .command("verify")
    .description(
      "recompute every hash and link of the chain (stored, or a JSONL export with --file); exits 1 when broken"
    )
    .requiredOption("--instance <id>", "customer instance")
    .option("--file <jsonl>", "verify an export offline instead of the store")
    .option("--from-seq <n>", "first record", seq("--from-seq"))
    .option("--to-seq <n>", "last record", seq("--to-seq"))
    .option("--config <file>", "configuration file (default: bga.config.json when present)")
    .action(
      async (
        options: ConfigOptions & { instance: string; file?: string; fromSeq?: number; toSeq?: number }
      ) => {
        let report: Audit.VerifyReport
        if (options.file !== undefined) {
          let text: string
          try {
            text = readFileSync(resolve(io.cwd, options.file), "utf8")
          } catch (error) {
            throw new CliFailure(`cannot read ${options.file}: ${(error as Error).message}`)
          }
          report = Audit.verifyJsonl(options.instance, text)
        } else {
          const { config } = loadGatewayConfig(io, options)
          report = await withStore(
            config,
            Effect.flatMap(Effect.service(Audit.AuditLog), (log) =>
              log.verify(options.instance, {
                ...(options.fromSeq === undefined ? {} : { fromSeq: options.fromSeq }),
                ...(options.toSeq === undefined ? {} : { toSeq: options.toSeq })
              })
            )
          )
        }
        json(report)
        if (!report.ok)
          throw new CliFailure(
            `the audit chain of ${options.instance} is broken: ${report.problemCount} problem(s)`
          )
      }
    )

  audit
    .command("export")
    .description(
      "write the chain as JSONL (one canonical record per line), verifiable offline with audit verify --file"
    )
    .requiredOption("--instance <id>", "customer instance")
    .option("--out <file>", "write to a file instead of standard output")
    .option("--from-seq <n>", "first record", seq("--from-seq"))
    .option("--to-seq <n>", "last record", seq("--to-seq"))
    .option("--config <file>", "configuration file (default: bga.config.json when present)")
    .action(
      async (
        options: ConfigOptions & { instance: string; out?: string; fromSeq?: number; toSeq?: number }
      ) => {
        const { config } = loadGatewayConfig(io, options)
        const file =
          options.out === undefined
            ? undefined
            : createWriteStream(resolve(io.cwd, options.out), { flags: "wx" })
        let lines = 0
        await withStore(
          config,
          Effect.flatMap(Effect.service(Audit.AuditLog), (log) =>
            Stream.runForEach(
              log.exportJsonl(options.instance, {
                ...(options.fromSeq === undefined ? {} : { fromSeq: options.fromSeq }),
                ...(options.toSeq === undefined ? {} : { toSeq: options.toSeq })
              }),
              (line) =>
                Effect.sync(() => {
                  lines++
                  if (file === undefined) io.out(line.replace(/\n$/u, ""))
                  else file.write(line)
                })
            )
          )
        )
        if (file !== undefined) {
          await new Promise<void>((done, fail) =>
            file.end((error?: Error | null) => (error ? fail(error) : done()))
          )
          io.err(`wrote ${lines} records to ${options.out}`)
        }
      }
    )
}
