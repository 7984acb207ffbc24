import { Storage } from "@bga/core"

const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN"
])

/** The SQLSTATE (or Node error code) of a driver error. */
export const pgCode = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === "string" ? code : undefined
}

/** True for a unique violation, optionally of one constraint. */
export const isUniqueViolation = (error: unknown, constraint?: string): boolean =>
  pgCode(error) === "23505" &&
  (constraint === undefined || (error as { constraint?: string }).constraint === constraint)

const connectionLost = (error: unknown): boolean => {
  const message = error instanceof Error ? error.message : ""
  return /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Connection ended/iu.test(
    message
  )
}

/**
 * Maps a driver error to `StorageError`: a refused or dropped connection, an administrator
 * shutdown or a server that is starting is `unavailable`; a cancelled statement is `timeout`;
 * lock and serialization failures are `busy`. SQL text, parameters and the connection string
 * stay in `cause`, never in the message.
 */
export const toStorageError = (operation: string, error: unknown): Storage.StorageError => {
  if (error instanceof Storage.StorageError) return error
  const code = pgCode(error)
  const reason: Storage.StorageError["reason"] =
    (code !== undefined &&
      (networkCodes.has(code) ||
        code.startsWith("08") ||
        code.startsWith("57P") ||
        code === "3D000" ||
        code.startsWith("28"))) ||
    connectionLost(error)
      ? "unavailable"
      : code === "57014"
        ? "timeout"
        : code === "40001" || code === "40P01" || code === "55P03" || code?.startsWith("53") === true
          ? "busy"
          : code === "XX001" || code === "XX002"
            ? "corrupt"
            : "failed"
  return new Storage.StorageError({
    reason,
    operation,
    detail: code === undefined ? "postgres error" : `postgres error ${code}`,
    cause: error
  })
}
