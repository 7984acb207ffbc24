import { Result, Schema } from "effect"
import { canonicalJson } from "../hash.js"
import { InvalidInputError, type JsonProblem } from "../json/JsonError.js"
import { parseJson } from "../json/safeJson.js"
import { type AuditRecord, AuditRecordSchema } from "./AuditRecord.js"
import { ChainVerifier, type VerifyOptions, type VerifyReport } from "./verify.js"

/**
 * JSONL export format: one record per line, as RFC 8785 canonical JSON, in chain order. A line
 * is exactly what the record's hash is computed over plus the `hash` field, so any tool with
 * sha256 and a JCS library can re-verify an export without BGA.
 */

/** One JSONL line (with its newline) for a record. */
export const recordToJsonl = (record: AuditRecord): string => `${canonicalJson(record)}\n`

const lineLimits = {
  maxBytes: 2 * 1024 * 1024,
  maxDepth: 40,
  maxStringLength: 512 * 1024,
  maxCollectionSize: 10_000
}

const decodeRecord = Schema.decodeUnknownResult(AuditRecordSchema)

/** Reads one JSONL line as a record; the error says why it is not one. */
export const parseJsonlLine = (line: string): Result.Result<AuditRecord, string> => {
  const parsed = parseJson(line, "audit record", lineLimits)
  if (Result.isFailure(parsed)) return Result.fail(parsed.failure.message)
  const decoded = decodeRecord(parsed.success, { errors: "first", onExcessProperty: "error" })
  return Result.isSuccess(decoded)
    ? Result.succeed(decoded.success as AuditRecord)
    : Result.fail(decoded.failure.message)
}

const linesOf = (input: string | Iterable<string>): Iterable<string> =>
  typeof input === "string" ? input.split("\n") : input

/**
 * Reads a JSONL export strictly (for import): every non-empty line must be a record. Fails
 * with an `InvalidInputError` naming each bad line.
 */
export const parseJsonl = (
  input: string | Iterable<string>
): Result.Result<ReadonlyArray<AuditRecord>, InvalidInputError> => {
  const records: Array<AuditRecord> = []
  const problems: Array<JsonProblem> = []
  let n = 0
  for (const raw of linesOf(input)) {
    n++
    const line = raw.trim()
    if (line === "") continue
    const r = parseJsonlLine(line)
    if (Result.isSuccess(r)) records.push(r.success)
    else if (problems.length < 20) problems.push({ path: `line ${n}`, message: r.failure })
  }
  return problems.length === 0
    ? Result.succeed(records)
    : Result.fail(new InvalidInputError({ reason: "invalid", subject: "audit JSONL", problems }))
}

/**
 * Verifies a JSONL export offline, exactly as `AuditLog.verify` checks a stored chain; a line
 * that is not a record is reported as `unreadable` with its line number.
 */
export const verifyJsonl = (
  customerInstanceId: string,
  input: string | Iterable<string>,
  options?: VerifyOptions
): VerifyReport => {
  const verifier = new ChainVerifier(customerInstanceId, options)
  let n = 0
  for (const raw of linesOf(input)) {
    n++
    const line = raw.trim()
    if (line === "") continue
    const r = parseJsonlLine(line)
    if (Result.isSuccess(r)) verifier.push(r.success, n)
    else verifier.unreadable(undefined, r.failure, n)
  }
  return verifier.finish()
}
