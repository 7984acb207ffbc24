/** Where a command writes; tests capture it, `main` binds it to the process. */
export interface CliIo {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
  readonly cwd: string
}

/** The process's own streams. */
export const processIo = (): CliIo => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  cwd: process.cwd()
})

/** A failure the command has already explained; `main` turns it into the exit code. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1
  ) {
    super(message)
  }
}
