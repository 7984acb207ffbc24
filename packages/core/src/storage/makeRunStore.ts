import { Clock, Effect, Option, Result, Schema } from "effect"
import { decodeUnknown } from "../contracts/decode.js"
import { RunRequestV2 } from "../contracts/RunRequest.js"
import { RunState } from "../contracts/RunState.js"
import { hashOf } from "../hash.js"
import { newId } from "../ids.js"
import type { InvalidInputError } from "../json/JsonError.js"
import type { RunBackend, StoredRun } from "./backend.js"
import { decodeCursor, encodeCursor } from "./cursor.js"
import { ConflictError, NotFoundError, StorageError } from "./errors.js"
import {
  isLegalTransition,
  isTerminal,
  type RunCheckpoint,
  type RunLease,
  type RunRecord
} from "./RunRecord.js"
import type { LeaseFence, RunStoreShape } from "./RunStore.js"
import {
  checkId,
  checkInstanceId,
  checkInt,
  checkJsonData,
  checkLimit,
  checkObject,
  checkOrder,
  checkTimestamp,
  checkWorkerId,
  invalidArgument,
  isoOf
} from "./validate.js"

/** Largest checkpoint accepted, as bytes of canonical JSON. */
export const maxCheckpointBytes = 4 * 1024 * 1024

/** Longest lease a worker may take or renew for, in milliseconds (24 h). */
export const maxLeaseTtlMs = 86_400_000

/** Compare-and-set attempts before a write gives up with `StorageError("contention")`. */
const casAttempts = 16

const isRunState = Schema.is(RunState)
const check = <A>(result: Result.Result<A, InvalidInputError>) => Effect.fromResult(result)
const now = Effect.map(Clock.currentTimeMillis, (ms) => ({ ms, iso: isoOf(ms) }))

const checkFence = (
  subject: string,
  path: string,
  value: unknown
): Result.Result<LeaseFence, InvalidInputError> =>
  Result.gen(function* () {
    // A RunLease is accepted as its own fence: its expiresAt is ignored, the store decides expiry.
    const obj = yield* checkObject(subject, path, value, ["workerId", "epoch", "expiresAt"])
    const workerId = yield* checkWorkerId(subject, `${path}.workerId`, obj.workerId)
    const epoch = yield* checkInt(subject, `${path}.epoch`, obj.epoch, 1, Number.MAX_SAFE_INTEGER)
    return { workerId, epoch }
  })

/** True when `lease` is the fenced worker's and still valid at `nowIso`. */
const holds = (run: RunRecord, fence: LeaseFence, nowIso: string, allowExpired = false): boolean =>
  run.lease !== undefined &&
  run.lease.workerId === fence.workerId &&
  run.lease.epoch === fence.epoch &&
  (allowExpired || run.lease.expiresAt > nowIso)

const notFound = (customerInstanceId: string, runId: string) =>
  new NotFoundError({ entity: "run", customerInstanceId, id: runId })

const contention = (operation: string) =>
  new StorageError({
    reason: "contention",
    operation,
    detail: `gave up after ${casAttempts} concurrent updates`
  })

/**
 * Builds the `RunStore` port over a backend. All rules live here: argument checks, the
 * lifecycle, optimistic concurrency, idempotency and lease fencing; the backend only stores
 * rows and does compare-and-set on a revision.
 */
export const makeRunStore = (backend: RunBackend): RunStoreShape => {
  const load = (operation: string, ci: string, runId: string) =>
    Effect.flatMap(backend.getRun(ci, runId), (stored) =>
      stored === undefined ? Effect.fail(notFound(ci, runId)) : Effect.succeed(stored)
    ).pipe(Effect.withSpan(operation))

  /** Retries `attempt` while the row keeps changing under it; `attempt` returns undefined to retry. */
  const casLoop = <A, E>(
    operation: string,
    attempt: () => Effect.Effect<A | undefined, E>
  ): Effect.Effect<A, E | StorageError> =>
    Effect.gen(function* () {
      for (let i = 0; i < casAttempts; i++) {
        const result = yield* attempt()
        if (result !== undefined) return result
      }
      return yield* contention(operation)
    })

  const replaceOrRetry = (stored: StoredRun, next: RunRecord) =>
    Effect.map(backend.replaceRun(stored.rev, next), (ok) => (ok ? next : undefined))

  return {
    create: (ci, request) =>
      Effect.gen(function* () {
        const subject = "RunStore.create"
        const instance = yield* check(checkInstanceId(subject, ci))
        const req = yield* check(decodeUnknown(RunRequestV2, "RunRequestV2")(request))
        if (req.customerInstanceId !== instance) {
          return yield* invalidArgument(
            subject,
            "$.request.customerInstanceId",
            "the request names another customer instance than the one it is stored in"
          )
        }
        const at = yield* now
        const run: RunRecord = {
          customerInstanceId: instance,
          runId: req.runId ?? newId(),
          state: "QUEUED",
          version: 1,
          request: req,
          requestHash: hashOf(req),
          ...(req.idempotencyKey === undefined ? {} : { idempotencyKey: req.idempotencyKey }),
          createdAt: at.iso,
          updatedAt: at.iso,
          leaseEpoch: 0
        }
        const outcome = yield* backend.insertRun(run)
        if (outcome.inserted) return { run, created: true }
        const existing = outcome.existing
        if (existing.requestHash === run.requestHash) return { run: existing, created: false }
        const keyReused = req.idempotencyKey !== undefined && existing.idempotencyKey === req.idempotencyKey
        return yield* new ConflictError({
          reason: keyReused ? "idempotency-key-reused" : "already-exists",
          entity: "run",
          id: existing.runId,
          detail: keyReused
            ? "the idempotency key was used before with a different request"
            : "the run id is taken by a different request"
        })
      }),

    get: (ci, runId) =>
      Effect.gen(function* () {
        const subject = "RunStore.get"
        const instance = yield* check(checkInstanceId(subject, ci))
        const id = yield* check(checkId(subject, "$.runId", runId))
        return (yield* load(subject, instance, id)).run
      }),

    list: (ci, query) =>
      Effect.gen(function* () {
        const subject = "RunStore.list"
        const instance = yield* check(checkInstanceId(subject, ci))
        const q = yield* check(
          checkObject(subject, "$.query", query, [
            "states",
            "createdFrom",
            "createdTo",
            "order",
            "limit",
            "cursor"
          ])
        )
        let states: ReadonlyArray<RunState> | undefined
        if (q.states !== undefined) {
          if (
            !Array.isArray(q.states) ||
            q.states.length === 0 ||
            q.states.length > 6 ||
            !q.states.every(isRunState)
          ) {
            return yield* invalidArgument(
              subject,
              "$.states",
              `expected a non-empty list of run states (${RunState.literals.join(", ")})`
            )
          }
          states = [...new Set(q.states as Array<RunState>)].sort()
        }
        const from = yield* check(checkTimestamp(subject, "$.createdFrom", q.createdFrom))
        const to = yield* check(checkTimestamp(subject, "$.createdTo", q.createdTo))
        const order = yield* check(checkOrder(subject, q.order, "desc"))
        const limit = yield* check(checkLimit(subject, q.limit))
        const filters = {
          states: states ?? null,
          createdFrom: from === undefined ? null : isoOf(from),
          createdTo: to === undefined ? null : isoOf(to),
          order
        }
        const binding = { scope: "runs", customerInstanceId: instance, filters }
        const position = yield* check(decodeCursor(subject, q.cursor, binding))
        if (
          position !== undefined &&
          (typeof position !== "string" || Result.isFailure(checkId(subject, "$", position)))
        ) {
          return yield* invalidArgument(subject, "$.cursor", "not a cursor of this list")
        }
        const rows = yield* backend.listRuns(instance, {
          ...(states === undefined ? {} : { states }),
          ...(filters.createdFrom === null ? {} : { createdFrom: filters.createdFrom }),
          ...(filters.createdTo === null ? {} : { createdTo: filters.createdTo }),
          order,
          ...(position === undefined ? {} : { after: position as string }),
          limit: limit + 1
        })
        const items = rows.slice(0, limit)
        const last = items.at(-1)
        return rows.length > limit && last !== undefined
          ? { items, nextCursor: encodeCursor(binding, last.runId) }
          : { items }
      }),

    transition: (ci, runId, input) =>
      Effect.gen(function* () {
        const subject = "RunStore.transition"
        const instance = yield* check(checkInstanceId(subject, ci))
        const id = yield* check(checkId(subject, "$.runId", runId))
        const obj = yield* check(checkObject(subject, "$.input", input, ["to", "expectedVersion", "fence"]))
        if (!isRunState(obj.to)) {
          return yield* invalidArgument(
            subject,
            "$.input.to",
            `expected a run state (${RunState.literals.join(", ")})`
          )
        }
        const to = obj.to
        const expectedVersion = yield* check(
          checkInt(subject, "$.input.expectedVersion", obj.expectedVersion, 1, Number.MAX_SAFE_INTEGER)
        )
        const fence =
          obj.fence === undefined ? undefined : yield* check(checkFence(subject, "$.input.fence", obj.fence))
        return yield* casLoop(subject, () =>
          Effect.gen(function* () {
            const stored = yield* load(subject, instance, id)
            const run = stored.run
            const at = yield* now
            if (run.version !== expectedVersion) {
              return yield* new ConflictError({
                reason: "stale-version",
                entity: "run",
                id,
                detail: `expected version ${expectedVersion}, found ${run.version} (${run.state})`
              })
            }
            if (!isLegalTransition(run.state, to)) {
              return yield* new ConflictError({
                reason: "illegal-transition",
                entity: "run",
                id,
                detail: `${run.state} -> ${to} is not a step of the run lifecycle`
              })
            }
            if (fence !== undefined && !holds(run, fence, at.iso)) {
              return yield* new ConflictError({
                reason: "lease-lost",
                entity: "run",
                id,
                detail: "the lease expired or was taken over"
              })
            }
            const { lease: _dropped, ...rest } = run
            const next: RunRecord = {
              ...(isTerminal(to) ? rest : run),
              state: to,
              version: run.version + 1,
              updatedAt: at.iso
            }
            return yield* replaceOrRetry(stored, next)
          })
        )
      }),

    appendCheckpoint: (ci, runId, input) =>
      Effect.gen(function* () {
        const subject = "RunStore.appendCheckpoint"
        const instance = yield* check(checkInstanceId(subject, ci))
        const id = yield* check(checkId(subject, "$.runId", runId))
        const obj = yield* check(checkObject(subject, "$.input", input, ["data", "fence"]))
        if (!("data" in obj)) return yield* invalidArgument(subject, "$.input.data", "expected a JSON value")
        yield* check(checkJsonData(subject, "$.input.data", obj.data, maxCheckpointBytes))
        const data = obj.data as RunCheckpoint["data"]
        const fence =
          obj.fence === undefined ? undefined : yield* check(checkFence(subject, "$.input.fence", obj.fence))
        const dataHash = hashOf(data)
        return yield* casLoop(subject, () =>
          Effect.gen(function* () {
            const { run } = yield* load(subject, instance, id)
            if (isTerminal(run.state)) {
              return yield* new ConflictError({
                reason: "illegal-transition",
                entity: "run",
                id,
                detail: `the run is ${run.state}; nothing is checkpointed after the end`
              })
            }
            const at = yield* now
            const latest = yield* backend.latestCheckpoint(instance, id)
            const checkpoint: RunCheckpoint = {
              customerInstanceId: instance,
              runId: id,
              seq: (latest?.seq ?? 0) + 1,
              createdAt: at.iso,
              state: run.state,
              data,
              dataHash
            }
            const outcome = yield* backend.insertCheckpoint(checkpoint, fence, at.iso)
            if (outcome === "fenced") {
              return yield* new ConflictError({
                reason: "lease-lost",
                entity: "run",
                id,
                detail: "the lease expired or was taken over"
              })
            }
            return outcome === "inserted" ? checkpoint : undefined
          })
        )
      }),

    latestCheckpoint: (ci, runId) =>
      Effect.gen(function* () {
        const subject = "RunStore.latestCheckpoint"
        const instance = yield* check(checkInstanceId(subject, ci))
        const id = yield* check(checkId(subject, "$.runId", runId))
        yield* load(subject, instance, id)
        return Option.fromUndefinedOr(yield* backend.latestCheckpoint(instance, id))
      }),

    acquireLease: (ci, runId, request) =>
      Effect.gen(function* () {
        const subject = "RunStore.acquireLease"
        const instance = yield* check(checkInstanceId(subject, ci))
        const id = yield* check(checkId(subject, "$.runId", runId))
        const obj = yield* check(checkObject(subject, "$.request", request, ["workerId", "ttlMs"]))
        const workerId = yield* check(checkWorkerId(subject, "$.request.workerId", obj.workerId))
        const ttlMs = yield* check(checkInt(subject, "$.request.ttlMs", obj.ttlMs, 1, maxLeaseTtlMs))
        return yield* casLoop(subject, () =>
          Effect.gen(function* () {
            const stored = yield* load(subject, instance, id)
            const run = stored.run
            const at = yield* now
            if (isTerminal(run.state)) {
              return yield* new ConflictError({
                reason: "illegal-transition",
                entity: "run",
                id,
                detail: `the run is ${run.state}; an ended run takes no lease`
              })
            }
            if (run.lease !== undefined && run.lease.expiresAt > at.iso && run.lease.workerId !== workerId) {
              return yield* new ConflictError({
                reason: "lease-held",
                entity: "run",
                id,
                detail: `held by ${run.lease.workerId} until ${run.lease.expiresAt}`
              })
            }
            const lease: RunLease = { workerId, epoch: run.leaseEpoch + 1, expiresAt: isoOf(at.ms + ttlMs) }
            const next: RunRecord = { ...run, leaseEpoch: lease.epoch, lease }
            const ok = yield* backend.replaceRun(stored.rev, next)
            return ok ? lease : undefined
          })
        )
      }),

    renewLease: (ci, runId, fence, ttlMs) =>
      Effect.gen(function* () {
        const subject = "RunStore.renewLease"
        const instance = yield* check(checkInstanceId(subject, ci))
        const id = yield* check(checkId(subject, "$.runId", runId))
        const f = yield* check(checkFence(subject, "$.fence", fence))
        const ttl = yield* check(checkInt(subject, "$.ttlMs", ttlMs, 1, maxLeaseTtlMs))
        return yield* casLoop(subject, () =>
          Effect.gen(function* () {
            const stored = yield* load(subject, instance, id)
            const at = yield* now
            if (!holds(stored.run, f, at.iso)) {
              return yield* new ConflictError({
                reason: "lease-lost",
                entity: "run",
                id,
                detail: "the lease expired or was taken over"
              })
            }
            const lease: RunLease = { workerId: f.workerId, epoch: f.epoch, expiresAt: isoOf(at.ms + ttl) }
            const ok = yield* backend.replaceRun(stored.rev, { ...stored.run, lease })
            return ok ? lease : undefined
          })
        )
      }),

    releaseLease: (ci, runId, fence) =>
      Effect.gen(function* () {
        const subject = "RunStore.releaseLease"
        const instance = yield* check(checkInstanceId(subject, ci))
        const id = yield* check(checkId(subject, "$.runId", runId))
        const f = yield* check(checkFence(subject, "$.fence", fence))
        yield* casLoop(subject, () =>
          Effect.gen(function* () {
            const stored = yield* load(subject, instance, id)
            const at = yield* now
            if (!holds(stored.run, f, at.iso, true)) {
              return yield* new ConflictError({
                reason: "lease-lost",
                entity: "run",
                id,
                detail: "the lease was taken over"
              })
            }
            const { lease: _released, ...rest } = stored.run
            const ok = yield* backend.replaceRun(stored.rev, rest)
            return ok ? true : undefined
          })
        )
      }),

    listExpiredLeases: (ci, options) =>
      Effect.gen(function* () {
        const subject = "RunStore.listExpiredLeases"
        const instance = yield* check(checkInstanceId(subject, ci))
        const obj = yield* check(checkObject(subject, "$.options", options, ["limit"]))
        const limit = yield* check(checkLimit(subject, obj.limit))
        const at = yield* now
        return yield* backend.listExpiredLeases(instance, at.iso, limit)
      })
  }
}
