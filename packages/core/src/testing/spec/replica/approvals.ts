import { Clock, Effect } from "effect"
import { describe, expect } from "vitest"
import { newId } from "../../../ids.js"
import { ApprovalStore } from "../../../storage/ApprovalStore.js"
import { StorageReplica } from "../../../storage/StorageReplica.js"
import { approvalDecision, approvalRequest, instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** StorageReplica.approvals and putApproval. */
export const approvals: Spec = ({ it, makeLayer }) =>
  describe("StorageReplica.approvals / putApproval", () => {
    it.effect("copies pending and resolved approvals into another store", () =>
      Effect.gen(function* () {
        const store = yield* ApprovalStore
        const replica = yield* StorageReplica
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        yield* store.create(ci, approvalRequest(ci, newId(), now))
        const b = yield* store.create(ci, approvalRequest(ci, newId(), now))
        yield* store.resolve(ci, approvalDecision(b.request, "approved", now))
        const all = yield* replica.approvals(ci, { limit: 10 })
        expect(all.map((a) => a.status).sort()).toEqual(["approved", "pending"])
        yield* Effect.gen(function* () {
          const target = yield* StorageReplica
          for (const a of all) yield* target.putApproval(ci, a)
          expect(yield* target.approvals(ci, { limit: 10 })).toEqual(all)
          expectError(yield* failureOf(target.putApproval(instanceId(), all[0]!)), "InvalidInputError")
        }).pipe(Effect.provide(makeLayer()))
      })
    )
  })
