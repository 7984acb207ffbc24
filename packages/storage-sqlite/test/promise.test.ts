import { newId, Storage } from "@bga/core"
import { Fixtures } from "@bga/core/testing"
import { StorageSqlite } from "@bga/storage-sqlite"
import { describe, expect, it } from "vitest"
import { tempDbPath } from "./helpers.js"

describe("the Promise API of the storage ports", () => {
  it("resolves results and rejects with the typed errors of the Effect API", async () => {
    const store = await Storage.openStorage(StorageSqlite.layer({ path: tempDbPath() }))
    try {
      const ci = Fixtures.instanceId()
      const { run } = await store.runs.create(ci, Fixtures.runRequest(ci))
      expect((await store.runs.get(ci, run.runId)).state).toBe("QUEUED")
      const missing = await store.runs.get(ci, newId()).catch((error: unknown) => error)
      expect(missing).toBeInstanceOf(Storage.NotFoundError)
      const record = await store.audit.append(ci, { kind: "auth_event", payload: { login: "ok" } })
      expect(record.seq).toBe(1)
      const lines: Array<string> = []
      for await (const line of store.audit.exportJsonl(ci)) lines.push(line)
      expect(lines).toHaveLength(1)
      expect((await store.audit.verify(ci)).ok).toBe(true)
    } finally {
      await store.close()
    }
  })

  it("rejects opening a store that cannot be opened", async () => {
    const error = await Storage.openStorage(
      StorageSqlite.layer({ path: "/nonexistent-dir/x/bga.sqlite" })
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Storage.StorageError)
  })
})
