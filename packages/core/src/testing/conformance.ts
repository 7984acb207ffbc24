import { layer } from "@effect/vitest"
import { Layer } from "effect"
import { describe } from "vitest"
import type { MakeLayer, Spec } from "./harness.js"
import * as approvalStore from "./spec/approvalStore/index.js"
import * as auditLog from "./spec/auditLog/index.js"
import { isolation } from "./spec/isolation.js"
import * as keyValue from "./spec/keyValue/index.js"
import * as replica from "./spec/replica/index.js"
import * as runStore from "./spec/runStore/index.js"

/** The specs of each port, by port name. */
export const specs: Readonly<Record<string, ReadonlyArray<Spec>>> = {
  RunStore: Object.values(runStore),
  ApprovalStore: Object.values(approvalStore),
  KeyValue: Object.values(keyValue),
  AuditLog: Object.values(auditLog),
  StorageReplica: Object.values(replica),
  Isolation: [isolation]
}

/** Options of `runConformance`. */
export interface ConformanceOptions {
  /** Run only these groups (port names as in `specs`). */
  readonly only?: ReadonlyArray<string>
  /** Time allowed to build (and tear down) one store; 60 s unless set. */
  readonly layerTimeoutMs?: number
}

/**
 * Registers the storage conformance suite for an adapter: every spec of every port, each group
 * against a new store from `makeLayer`. An adapter's test file is a few lines:
 *
 * @example
 * ```ts
 * import { runConformance } from "@bga/core/testing"
 * import { StorageSqlite } from "@bga/storage-sqlite"
 * runConformance("sqlite", () => StorageSqlite.layer({ path: tempFile() }))
 * ```
 */
export const runConformance = (
  name: string,
  makeLayer: MakeLayer,
  options: ConformanceOptions = {}
): void => {
  // A fresh copy each time: Effect memoizes a layer value, and a spec asking for a second
  // store must not get the first one back.
  const fresh: MakeLayer = () => Layer.fresh(makeLayer())
  describe(`${name}: storage conformance`, () => {
    for (const [group, list] of Object.entries(specs)) {
      if (options.only !== undefined && !options.only.includes(group)) continue
      layer(fresh(), { timeout: options.layerTimeoutMs ?? 60_000 })(group, (it) => {
        for (const spec of list) spec({ it, makeLayer: fresh })
      })
    }
  })
}
