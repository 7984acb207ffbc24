import { Clock, Effect, Option, Result, Schema, Stream } from "effect"
import { hashOf } from "../hash.js"
import { newId } from "../ids.js"
import type { InvalidInputError } from "../json/JsonError.js"
import { decodeCursor, encodeCursor } from "../storage/cursor.js"
import { ConflictError, StorageError } from "../storage/errors.js"
import {
  checkId,
  checkInstanceId,
  checkInt,
  checkLimit,
  checkObject,
  checkOrder,
  checkTimestamp,
  invalidArgument,
  isoOf
} from "../storage/validate.js"
import { type PreparedEntry, prepareEntry } from "./AuditEntry.js"
import type { AuditLogShape } from "./AuditLog.js"
import {
  type AuditRecord,
  AuditRecordSchema,
  type AuditRow,
  auditKindPattern,
  eventTypePattern,
  fromRow
} from "./AuditRecord.js"
import type { AuditBackend, AuditFilter } from "./backend.js"
import { assignRecordIds, chainEntries, checkContinuation } from "./chain.js"
import { SignedAuditCheckpoint } from "./checkpoint.js"
import { recordToJsonl } from "./jsonl.js"
import { type AnchorPayload, anchorOf, anchorPayload } from "./retention.js"
import { ChainVerifier } from "./verify.js"

/** Most records one `appendAll` or `importRecords` call takes. */
export const maxAppendBatch = 1000

const scanPage = 1000
const check = <A>(result: Result.Result<A, InvalidInputError>) => Effect.fromResult(result)
const decodeRecords = Schema.decodeUnknownResult(Schema.Array(AuditRecordSchema))
const decodeCheckpoints = Schema.decodeUnknownResult(Schema.Array(SignedAuditCheckpoint))

const corrupt = (operation: string, row: AuditRow, why: string) =>
  new StorageError({
    reason: "corrupt",
    operation,
    detail: `audit record seq ${row.seq}: ${why}; run verify`
  })

const recordsOf = (operation: string, rows: ReadonlyArray<AuditRow>) =>
  Effect.forEach(rows, (row) => {
    const r = fromRow(row)
    return Result.isSuccess(r) ? Effect.succeed(r.success) : Effect.fail(corrupt(operation, row, r.failure))
  })

const sameEntry = (record: AuditRecord, entry: PreparedEntry): boolean =>
  record.kind === entry.kind &&
  record.runId === entry.runId &&
  record.decisionId === entry.decisionId &&
  record.actorId === entry.actorId &&
  record.eventType === entry.eventType &&
  hashOf(record.payload) === hashOf(entry.payload)

/**
 * Builds the `AuditLog` port over a backend: entry checks, chaining, queries with bound
 * cursors, verification, export/import and retention are all here, so every adapter chains
 * and verifies byte for byte the same way.
 */
export const makeAuditLog = (backend: AuditBackend): AuditLogShape => {
  /** Returns the stored records when every entry was appended before under its `recordId`. */
  const replayed = (operation: string, ci: string, entries: ReadonlyArray<PreparedEntry>) =>
    Effect.gen(function* () {
      const withIds = entries.filter((e) => e.recordId !== undefined)
      if (withIds.length === 0) return undefined
      const found: Array<AuditRecord> = []
      for (const entry of withIds) {
        const row = yield* backend.findByRecordId(ci, entry.recordId as string)
        if (row === undefined) continue
        const [record] = yield* recordsOf(operation, [row])
        if (record === undefined || !sameEntry(record, entry)) {
          return yield* new ConflictError({
            reason: "already-exists",
            entity: "audit-record",
            id: entry.recordId as string,
            detail: "the recordId was used before for a different entry"
          })
        }
        found.push(record)
      }
      if (found.length === 0) return undefined
      if (found.length === entries.length) return found
      return yield* new ConflictError({
        reason: "already-exists",
        entity: "audit-record",
        id: found[0]?.recordId ?? "",
        detail: "part of the batch was appended before; retry it exactly or without those records"
      })
    })

  /** Checks and prepares a batch: plain synchronous work, nothing is read or written. */
  const prepareBatch = (
    subject: string,
    ci: unknown,
    entries: unknown
  ): Result.Result<
    { readonly instance: string; readonly prepared: Array<PreparedEntry>; readonly withIds: boolean },
    InvalidInputError
  > => {
    const instance = checkInstanceId(subject, ci)
    if (Result.isFailure(instance)) return Result.fail(instance.failure)
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > maxAppendBatch) {
      return Result.fail(invalidArgument(subject, "$.entries", `expected 1 to ${maxAppendBatch} entries`))
    }
    const prepared: Array<PreparedEntry> = []
    const ids = new Set<string>()
    for (let i = 0; i < entries.length; i++) {
      const entryResult = prepareEntry(
        subject,
        instance.success,
        entries[i],
        entries.length === 1 ? "$.entry" : `$.entries[${i}]`
      )
      if (Result.isFailure(entryResult)) return Result.fail(entryResult.failure)
      prepared.push(entryResult.success)
      if (entryResult.success.recordId !== undefined) ids.add(entryResult.success.recordId)
    }
    const withIds = prepared.filter((e) => e.recordId !== undefined).length
    if (ids.size !== withIds)
      return Result.fail(invalidArgument(subject, "$.entries", "two entries share a recordId"))
    return Result.succeed({ instance: instance.success, prepared, withIds: withIds > 0 })
  }

  /** Chains the entries onto the head and writes them, looking for an earlier append first. */
  const appendPrepared = (
    subject: string,
    instance: string,
    prepared: ReadonlyArray<PreparedEntry>,
    withIds: boolean,
    attempt: number
  ): Effect.Effect<ReadonlyArray<AuditRecord>, InvalidInputError | ConflictError | StorageError> => {
    if (attempt >= 3) {
      return Effect.fail(
        new StorageError({ reason: "contention", operation: subject, detail: "recordId raced three times" })
      )
    }
    const write = Effect.flatMap(Clock.currentTimeMillis, (nowMs) => {
      const assigned = assignRecordIds(prepared)
      return Effect.flatMap(
        backend.append(instance, (head) => Result.succeed(chainEntries(instance, head, assigned, nowMs))),
        (outcome) =>
          outcome._tag === "appended"
            ? Effect.succeed(outcome.records)
            : // A concurrent append took one of our recordIds: look again, it may be our own retry.
              appendPrepared(subject, instance, prepared, withIds, attempt + 1)
      )
    })
    // Only entries with a caller's recordId can have been appended before.
    if (!withIds) return write
    return Effect.flatMap(replayed(subject, instance, prepared), (again) =>
      again === undefined ? write : Effect.succeed(again)
    )
  }

  const appendAll: AuditLogShape["appendAll"] = (ci, entries) =>
    Effect.suspend(() => {
      const subject = "AuditLog.append"
      const batch = prepareBatch(subject, ci, entries)
      if (Result.isFailure(batch)) return Effect.fail(batch.failure)
      return appendPrepared(subject, batch.success.instance, batch.success.prepared, batch.success.withIds, 0)
    })

  const scanAll = (
    operation: string,
    ci: string,
    from: number,
    to: number | undefined,
    onRow: (row: AuditRow) => void
  ): Effect.Effect<void, StorageError> =>
    Effect.gen(function* () {
      let next = from
      for (;;) {
        const rows = yield* backend.scan(ci, next, to, scanPage)
        for (const row of rows) onRow(row)
        const last = rows.at(-1)
        if (rows.length < scanPage || last === undefined) return
        next = Number(last.seq) + 1
      }
    }).pipe(Effect.withSpan(operation))

  const verify: AuditLogShape["verify"] = (ci, input) =>
    Effect.gen(function* () {
      const subject = "AuditLog.verify"
      const instance = yield* check(checkInstanceId(subject, ci))
      const opts = yield* check(
        checkObject(subject, "$.input", input, ["fromSeq", "toSeq", "checkpoints", "publicKey"])
      )
      const fromSeq =
        opts.fromSeq === undefined
          ? undefined
          : yield* check(checkInt(subject, "$.fromSeq", opts.fromSeq, 1, Number.MAX_SAFE_INTEGER))
      const toSeq =
        opts.toSeq === undefined
          ? undefined
          : yield* check(checkInt(subject, "$.toSeq", opts.toSeq, 1, Number.MAX_SAFE_INTEGER))
      if (fromSeq !== undefined && toSeq !== undefined && toSeq < fromSeq) {
        return yield* invalidArgument(subject, "$.toSeq", "must not be below fromSeq")
      }
      let checkpoints: ReadonlyArray<SignedAuditCheckpoint> | undefined
      if (opts.checkpoints !== undefined) {
        const decoded = decodeCheckpoints(opts.checkpoints, { onExcessProperty: "error" })
        if (Result.isFailure(decoded))
          return yield* invalidArgument(subject, "$.checkpoints", "expected signed audit checkpoints")
        checkpoints = decoded.success
      }
      if (opts.publicKey !== undefined && typeof opts.publicKey !== "string") {
        return yield* invalidArgument(subject, "$.publicKey", "expected an ed25519 public key")
      }
      const first = yield* backend.firstSeq(instance)
      let startAt: { seq: number; prevHash?: string } | undefined
      if (fromSeq !== undefined && first !== undefined && fromSeq > first) {
        const before = yield* backend.scan(instance, fromSeq - 1, fromSeq - 1, 1)
        const prev = before[0]
        startAt = prev === undefined ? { seq: fromSeq } : { seq: fromSeq, prevHash: prev.hash }
      }
      let anchor: AnchorPayload | undefined
      if (fromSeq === undefined && toSeq !== undefined && first !== undefined && first > 1) {
        const latest = yield* backend.query(instance, { kinds: ["anchor"], order: "desc", limit: 1 })
        const row = latest[0]
        const record = row === undefined ? undefined : fromRow(row)
        anchor = record !== undefined && Result.isSuccess(record) ? anchorOf(record.success) : undefined
      }
      const verifier = new ChainVerifier(instance, {
        ...(anchor === undefined ? {} : { anchor }),
        ...(startAt === undefined ? {} : { startAt }),
        toHead: toSeq === undefined,
        ...(checkpoints === undefined ? {} : { checkpoints }),
        ...(opts.publicKey === undefined ? {} : { publicKey: opts.publicKey as string })
      })
      yield* scanAll(subject, instance, fromSeq ?? 0, toSeq, (row) => {
        const r = fromRow(row)
        if (Result.isSuccess(r)) verifier.push(r.success)
        else verifier.unreadable(Number(row.seq), r.failure)
      })
      return verifier.finish()
    })

  return {
    append: (ci, entry) =>
      Effect.flatMap(appendAll(ci, [entry]), (records) => {
        const [record] = records
        return record === undefined
          ? Effect.fail(
              new StorageError({
                reason: "failed",
                operation: "AuditLog.append",
                detail: "no record written"
              })
            )
          : Effect.succeed(record)
      }),

    appendAll,

    list: (ci, query) =>
      Effect.gen(function* () {
        const subject = "AuditLog.list"
        const instance = yield* check(checkInstanceId(subject, ci))
        const q = yield* check(
          checkObject(subject, "$.query", query, [
            "runId",
            "kinds",
            "eventType",
            "decisionId",
            "actorId",
            "from",
            "to",
            "order",
            "limit",
            "cursor"
          ])
        )
        const runId = q.runId === undefined ? undefined : yield* check(checkId(subject, "$.runId", q.runId))
        const decisionId =
          q.decisionId === undefined
            ? undefined
            : yield* check(checkId(subject, "$.decisionId", q.decisionId))
        let kinds: ReadonlyArray<string> | undefined
        if (q.kinds !== undefined) {
          if (
            !Array.isArray(q.kinds) ||
            q.kinds.length === 0 ||
            q.kinds.length > 16 ||
            !q.kinds.every((k) => typeof k === "string" && auditKindPattern.test(k))
          ) {
            return yield* invalidArgument(
              subject,
              "$.kinds",
              "expected 1 to 16 audit kinds (lowercase letters, digits and _)"
            )
          }
          kinds = [...new Set(q.kinds as Array<string>)].sort()
        }
        if (
          q.eventType !== undefined &&
          !(typeof q.eventType === "string" && eventTypePattern.test(q.eventType))
        ) {
          return yield* invalidArgument(
            subject,
            "$.eventType",
            "expected an event type such as run.state_changed"
          )
        }
        if (
          q.actorId !== undefined &&
          !(typeof q.actorId === "string" && q.actorId.length >= 1 && q.actorId.length <= 256)
        ) {
          return yield* invalidArgument(subject, "$.actorId", "expected an actor id of 1 to 256 characters")
        }
        const from = yield* check(checkTimestamp(subject, "$.from", q.from))
        const to = yield* check(checkTimestamp(subject, "$.to", q.to))
        const order = yield* check(checkOrder(subject, q.order, "asc"))
        const limit = yield* check(checkLimit(subject, q.limit))
        const filters = {
          runId: runId ?? null,
          kinds: kinds ?? null,
          eventType: (q.eventType as string | undefined) ?? null,
          decisionId: decisionId ?? null,
          actorId: (q.actorId as string | undefined) ?? null,
          from: from === undefined ? null : isoOf(from),
          to: to === undefined ? null : isoOf(to),
          order
        }
        const binding = { scope: "audit", customerInstanceId: instance, filters }
        const position = yield* check(decodeCursor(subject, q.cursor, binding))
        if (
          position !== undefined &&
          !(typeof position === "number" && Number.isSafeInteger(position) && position >= 0)
        ) {
          return yield* invalidArgument(subject, "$.cursor", "not a cursor of this list")
        }
        const filter: AuditFilter = {
          ...(runId === undefined ? {} : { runId }),
          ...(kinds === undefined ? {} : { kinds }),
          ...(filters.eventType === null ? {} : { eventType: filters.eventType }),
          ...(decisionId === undefined ? {} : { decisionId }),
          ...(filters.actorId === null ? {} : { actorId: filters.actorId }),
          ...(filters.from === null ? {} : { from: filters.from }),
          ...(filters.to === null ? {} : { to: filters.to }),
          order,
          ...(position === undefined ? {} : { afterSeq: position as number }),
          limit: limit + 1
        }
        const rows = yield* backend.query(instance, filter)
        const items = yield* recordsOf(subject, rows.slice(0, limit))
        const last = items.at(-1)
        return rows.length > limit && last !== undefined
          ? { items, nextCursor: encodeCursor(binding, last.seq) }
          : { items }
      }),

    head: (ci) =>
      Effect.gen(function* () {
        const instance = yield* check(checkInstanceId("AuditLog.head", ci))
        return Option.fromUndefinedOr(yield* backend.head(instance))
      }),

    read: (ci, options) =>
      Effect.gen(function* () {
        const subject = "AuditLog.read"
        const instance = yield* check(checkInstanceId(subject, ci))
        const opts = yield* check(checkObject(subject, "$.options", options, ["fromSeq", "limit"]))
        const fromSeq = yield* check(checkInt(subject, "$.fromSeq", opts.fromSeq, 0, Number.MAX_SAFE_INTEGER))
        const limit = yield* check(checkInt(subject, "$.limit", opts.limit, 1, scanPage))
        return yield* recordsOf(subject, yield* backend.scan(instance, fromSeq, undefined, limit))
      }),

    verify,

    exportJsonl: (ci, options) =>
      Stream.unwrap(
        Effect.gen(function* () {
          const subject = "AuditLog.exportJsonl"
          const instance = yield* check(checkInstanceId(subject, ci))
          const opts = yield* check(checkObject(subject, "$.options", options, ["fromSeq", "toSeq"]))
          const from =
            opts.fromSeq === undefined
              ? 0
              : yield* check(checkInt(subject, "$.fromSeq", opts.fromSeq, 0, Number.MAX_SAFE_INTEGER))
          const to =
            opts.toSeq === undefined
              ? undefined
              : yield* check(checkInt(subject, "$.toSeq", opts.toSeq, 0, Number.MAX_SAFE_INTEGER))
          return Stream.paginate(from, (next: number) =>
            Effect.gen(function* () {
              const rows = yield* backend.scan(instance, next, to, scanPage)
              const records = yield* recordsOf(subject, rows)
              const last = records.at(-1)
              const more =
                rows.length === scanPage && last !== undefined
                  ? Option.some(last.seq + 1)
                  : Option.none<number>()
              return [records.map(recordToJsonl), more] as const
            })
          )
        })
      ),

    importRecords: (ci, records) =>
      Effect.gen(function* () {
        const subject = "AuditLog.importRecords"
        const instance = yield* check(checkInstanceId(subject, ci))
        if (!Array.isArray(records) || records.length > maxAppendBatch) {
          return yield* invalidArgument(subject, "$.records", `expected 0 to ${maxAppendBatch} records`)
        }
        if (records.length === 0) return 0
        const decoded = decodeRecords(records, { onExcessProperty: "error" })
        if (Result.isFailure(decoded)) {
          return yield* invalidArgument(
            subject,
            "$.records",
            `not audit records: ${decoded.failure.message.slice(0, 300)}`
          )
        }
        const list = decoded.success as ReadonlyArray<AuditRecord>
        // An imported retention anchor replays its prune, so a copy keeps the same records.
        const pruneThrough = list.reduce<number | undefined>((max, r) => {
          const anchor = anchorOf(r)
          return anchor === undefined ? max : Math.max(max ?? 0, anchor.prunedThroughSeq)
        }, undefined)
        const outcome = yield* backend.append(
          instance,
          (head) => checkContinuation(instance, head, list),
          pruneThrough === undefined ? undefined : { pruneThrough }
        )
        if (outcome._tag === "duplicate-record-id") {
          return yield* new ConflictError({
            reason: "chain-mismatch",
            entity: "audit-record",
            id: String(list[0]?.seq),
            detail: "a recordId of the batch is already stored"
          })
        }
        return outcome.records.length
      }),

    prune: (ci, options) =>
      Effect.gen(function* () {
        const subject = "AuditLog.prune"
        const instance = yield* check(checkInstanceId(subject, ci))
        const opts = yield* check(checkObject(subject, "$.options", options, ["before", "verifyFirst"]))
        const beforeMs = yield* check(checkTimestamp(subject, "$.before", opts.before))
        if (beforeMs === undefined) return yield* invalidArgument(subject, "$.before", "expected a timestamp")
        if (opts.verifyFirst !== undefined && typeof opts.verifyFirst !== "boolean") {
          return yield* invalidArgument(subject, "$.verifyFirst", "expected a boolean")
        }
        const nowMs = yield* Clock.currentTimeMillis
        if (beforeMs > nowMs) return yield* invalidArgument(subject, "$.before", "must not be in the future")
        const cutoff = isoOf(beforeMs)
        const through = yield* backend.lastBefore(instance, cutoff)
        const first = yield* backend.firstSeq(instance)
        if (through === undefined || first === undefined || through.seq < first) return { pruned: 0 }
        if (opts.verifyFirst !== false) {
          const report = yield* verify(instance, { toSeq: through.seq })
          if (!report.ok) {
            const problem = report.problems[0]
            return yield* new ConflictError({
              reason: "chain-mismatch",
              entity: "audit-record",
              id: String(problem?.seq ?? through.seq),
              detail: `refusing to prune a range that does not verify: ${problem?.message ?? "problems found"}`
            })
          }
        }
        const anchor = {
          kind: "anchor",
          recordId: newId(),
          payload: anchorPayload({
            reason: "retention",
            prunedFromSeq: first,
            prunedThroughSeq: through.seq,
            prunedThroughHash: through.hash,
            cutoff
          })
        }
        const outcome = yield* backend.append(
          instance,
          (head) => Result.succeed(chainEntries(instance, head, [anchor], nowMs)),
          { pruneThrough: through.seq }
        )
        if (outcome._tag === "duplicate-record-id") {
          return yield* new StorageError({
            reason: "contention",
            operation: subject,
            detail: "anchor recordId collided"
          })
        }
        const [written] = outcome.records
        return written === undefined
          ? { pruned: outcome.pruned }
          : { pruned: outcome.pruned, anchor: written }
      })
  }
}
