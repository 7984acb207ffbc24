import { Effect, Option, type Result } from "effect"
import { ApprovalRequestV1 } from "../contracts/Approval.js"
import { decodeUnknown } from "../contracts/decode.js"
import { RunRequestV2 } from "../contracts/RunRequest.js"
import { hashOf } from "../hash.js"
import type { InvalidInputError } from "../json/JsonError.js"
import type { ApprovalBackend, KvBackend, RunBackend } from "./backend.js"
import { maxKvValueBytes } from "./KeyValue.js"
import { checkKvKey } from "./makeKeyValue.js"
import type { StorageReplicaShape } from "./StorageReplica.js"
import {
  checkId,
  checkInstanceId,
  checkInt,
  checkJsonData,
  checkPluginName,
  invalidArgument
} from "./validate.js"

const check = <A>(result: Result.Result<A, InvalidInputError>) => Effect.fromResult(result)

/** Builds the `StorageReplica` port over the three backends of one store. */
export const makeStorageReplica = (backends: {
  readonly runs: RunBackend
  readonly approvals: ApprovalBackend
  readonly kv: KvBackend
}): StorageReplicaShape => {
  const { approvals, kv, runs } = backends
  const page = (subject: string, ci: string, after: string | undefined, limit: number) =>
    Effect.gen(function* () {
      const instance = yield* check(checkInstanceId(subject, ci))
      if (after !== undefined) yield* check(checkId(subject, "$.after", after))
      const n = yield* check(checkInt(subject, "$.limit", limit, 1, 1000))
      return { instance, n }
    })
  const sameInstance = (subject: string, path: string, ci: string, value: string) =>
    value === ci
      ? Effect.void
      : Effect.fail(invalidArgument(subject, path, "belongs to another customer instance than the argument"))

  return {
    runs: (ci, options) =>
      Effect.gen(function* () {
        const { instance, n } = yield* page("StorageReplica.runs", ci, options.after, options.limit)
        const rows = yield* runs.listRuns(instance, {
          order: "asc",
          limit: n,
          ...(options.after === undefined ? {} : { after: options.after })
        })
        return yield* Effect.forEach(rows, (run) =>
          Effect.map(runs.listCheckpoints(instance, run.runId), (checkpoints) => ({ run, checkpoints }))
        )
      }),

    run: (ci, runId) =>
      Effect.gen(function* () {
        const subject = "StorageReplica.run"
        const instance = yield* check(checkInstanceId(subject, ci))
        const id = yield* check(checkId(subject, "$.runId", runId))
        const stored = yield* runs.getRun(instance, id)
        if (stored === undefined) return Option.none()
        return Option.some({ run: stored.run, checkpoints: yield* runs.listCheckpoints(instance, id) })
      }),

    putRun: (ci, snapshot) =>
      Effect.gen(function* () {
        const subject = "StorageReplica.putRun"
        const instance = yield* check(checkInstanceId(subject, ci))
        const { checkpoints, run } = snapshot
        yield* sameInstance(subject, "$.run.customerInstanceId", instance, run.customerInstanceId)
        yield* check(checkId(subject, "$.run.runId", run.runId))
        const request = yield* check(decodeUnknown(RunRequestV2, "RunRequestV2")(run.request))
        if (hashOf(request) !== run.requestHash) {
          return yield* invalidArgument(subject, "$.run.requestHash", "does not match the request")
        }
        for (const [i, cp] of checkpoints.entries()) {
          yield* sameInstance(
            subject,
            `$.checkpoints[${i}].customerInstanceId`,
            instance,
            cp.customerInstanceId
          )
          if (cp.runId !== run.runId || hashOf(cp.data) !== cp.dataHash) {
            return yield* invalidArgument(
              subject,
              `$.checkpoints[${i}]`,
              "belongs to another run or its data does not match dataHash"
            )
          }
        }
        yield* runs.putRunSnapshot(snapshot)
      }),

    approvals: (ci, options) =>
      Effect.gen(function* () {
        const { instance, n } = yield* page("StorageReplica.approvals", ci, options.after, options.limit)
        return yield* approvals.listApprovals(instance, options.after, n)
      }),

    putApproval: (ci, record) =>
      Effect.gen(function* () {
        const subject = "StorageReplica.putApproval"
        const instance = yield* check(checkInstanceId(subject, ci))
        yield* sameInstance(subject, "$.record.customerInstanceId", instance, record.customerInstanceId)
        const request = yield* check(decodeUnknown(ApprovalRequestV1, "ApprovalRequestV1")(record.request))
        yield* sameInstance(
          subject,
          "$.record.request.customerInstanceId",
          instance,
          request.customerInstanceId
        )
        if (request.approvalId !== record.approvalId || request.runId !== record.runId) {
          return yield* invalidArgument(subject, "$.record", "approvalId or runId differ from the request")
        }
        yield* approvals.putApproval(record)
      }),

    kvEntries: (ci, options) =>
      Effect.gen(function* () {
        const subject = "StorageReplica.kvEntries"
        const instance = yield* check(checkInstanceId(subject, ci))
        const n = yield* check(checkInt(subject, "$.limit", options.limit, 1, 1000))
        if (options.after !== undefined) {
          yield* check(checkPluginName(subject, options.after[0]))
          yield* check(checkKvKey(subject, "$.after[1]", options.after[1]))
        }
        return yield* kv.listAllKv(instance, options.after, n)
      }),

    putKv: (ci, entry) =>
      Effect.gen(function* () {
        const subject = "StorageReplica.putKv"
        const instance = yield* check(checkInstanceId(subject, ci))
        yield* sameInstance(subject, "$.entry.customerInstanceId", instance, entry.customerInstanceId)
        yield* check(checkPluginName(subject, entry.pluginId))
        yield* check(checkKvKey(subject, "$.entry.key", entry.key))
        yield* check(checkJsonData(subject, "$.entry.value", entry.value, maxKvValueBytes))
        yield* kv.setKv(entry)
      }),

    deleteKv: (ci, pluginId, key) =>
      Effect.gen(function* () {
        const subject = "StorageReplica.deleteKv"
        const instance = yield* check(checkInstanceId(subject, ci))
        const plugin = yield* check(checkPluginName(subject, pluginId))
        const k = yield* check(checkKvKey(subject, "$.key", key))
        yield* kv.deleteKv(instance, plugin, k)
      })
  }
}
