import { readFileSync } from "node:fs"
import { Result } from "effect"

/** Why a file could not be read: it is not there, or it could not be opened or read. */
export interface FileReadFailure {
  readonly reason: "not-found" | "unreadable"
  readonly message: string
}

/** Reads a UTF-8 text file; never throws. Callers wrap the failure in their own typed error. */
export const readTextFile = (path: string): Result.Result<string, FileReadFailure> => {
  try {
    return Result.succeed(readFileSync(path, "utf8"))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return Result.fail(
      code === "ENOENT"
        ? { reason: "not-found", message: "file does not exist" }
        : { reason: "unreadable", message: String(code ?? error) }
    )
  }
}
