import { Storage } from "@bga/core"

/** SQLite result codes (primary, the low byte of the extended code) that a caller can act on. */
const SQLITE_BUSY = 5
const SQLITE_LOCKED = 6
const SQLITE_CORRUPT = 11
const SQLITE_NOTADB = 26
const SQLITE_CONSTRAINT = 19
const SQLITE_CANTOPEN = 14
const SQLITE_IOERR = 10
const SQLITE_FULL = 13
const SQLITE_READONLY = 8

/** The extended result code of a node:sqlite error, if it is one. */
export const sqliteCode = (error: unknown): number | undefined => {
  const code = (error as { errcode?: unknown } | null)?.errcode
  return typeof code === "number" ? code : undefined
}

/** True for a UNIQUE or PRIMARY KEY violation. */
export const isUniqueViolation = (error: unknown): boolean => {
  const code = sqliteCode(error)
  return code !== undefined && (code & 0xff) === SQLITE_CONSTRAINT
}

/**
 * Maps a driver error to `StorageError`. The SQL text and file path stay in `cause`; the
 * message says only what kind of failure it was.
 */
export const toStorageError = (operation: string, error: unknown): Storage.StorageError => {
  if (error instanceof Storage.StorageError) return error
  const code = sqliteCode(error)
  const primary = code === undefined ? undefined : code & 0xff
  const reason: Storage.StorageError["reason"] =
    primary === SQLITE_BUSY || primary === SQLITE_LOCKED
      ? "busy"
      : primary === SQLITE_CORRUPT || primary === SQLITE_NOTADB
        ? "corrupt"
        : primary === SQLITE_CANTOPEN ||
            primary === SQLITE_IOERR ||
            primary === SQLITE_FULL ||
            primary === SQLITE_READONLY
          ? "unavailable"
          : "failed"
  return new Storage.StorageError({
    reason,
    operation,
    detail: code === undefined ? "sqlite error" : `sqlite result code ${code}`,
    cause: error
  })
}
