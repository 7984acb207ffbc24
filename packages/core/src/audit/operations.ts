import { Clock, Effect, Option } from "effect"
import { ConfigService, instanceSettings } from "../config/load.js"
import type { InvalidInputError } from "../json/JsonError.js"
import type { ConflictError, StorageError } from "../storage/errors.js"
import { isoOf } from "../storage/validate.js"
import { AuditLog, type PruneResult } from "./AuditLog.js"
import { genesisHash } from "./AuditRecord.js"
import { AuditSigner, type SignedAuditCheckpoint } from "./checkpoint.js"
import { retentionCutoff } from "./retention.js"

/**
 * Signs the current head of an instance's chain. Store the result outside the database; hand
 * it back to `verify` later to prove no record was removed from the end since.
 */
export const checkpointHead = (
  customerInstanceId: string
): Effect.Effect<SignedAuditCheckpoint, InvalidInputError | StorageError, AuditLog | AuditSigner> =>
  Effect.gen(function* () {
    const log = yield* AuditLog
    const signer = yield* AuditSigner
    const head = yield* log.head(customerInstanceId)
    const signedAt = isoOf(yield* Clock.currentTimeMillis)
    return signer.sign({
      version: 1,
      customerInstanceId,
      seq: Option.match(head, { onNone: () => 0, onSome: (h) => h.seq }),
      hash: Option.match(head, { onNone: () => genesisHash, onSome: (h) => h.hash }),
      headTs: Option.match(head, { onNone: () => signedAt, onSome: (h) => h.ts }),
      signedAt
    })
  })

/**
 * Applies the instance's configured retention (`customerInstances.<id>.retentionDays`): prunes
 * what is older and leaves an anchor. An instance without a retention limit keeps everything.
 */
export const applyRetention = (
  customerInstanceId: string
): Effect.Effect<PruneResult, InvalidInputError | ConflictError | StorageError, AuditLog | ConfigService> =>
  Effect.gen(function* () {
    const config = yield* ConfigService
    const { retentionDays } = instanceSettings(config, customerInstanceId)
    if (retentionDays === undefined) return { pruned: 0 }
    const log = yield* AuditLog
    const nowMs = yield* Clock.currentTimeMillis
    return yield* log.prune(customerInstanceId, { before: isoOf(retentionCutoff(nowMs, retentionDays)) })
  })
