import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Audit } from "@bga/core"
import { StorageSqlite } from "@bga/storage-sqlite"
import { Effect, Layer, Option } from "effect"
import { describe, expect, it } from "vitest"
import { tempDbPath } from "./helpers.js"

const child = fileURLToPath(new URL("./append-child.mjs", import.meta.url))

interface Ack {
  readonly seq: number
  readonly hash: string
}

/** Starts an appending child; resolves its acks when it exits or is killed. */
const startChild = (path: string, ci: string, max: number, label: string, startAt = 0) => {
  const proc: ChildProcess = spawn(process.execPath, [child, path, ci, String(max), label, String(startAt)], {
    stdio: ["ignore", "pipe", "pipe"]
  })
  const acks: Array<Ack> = []
  let buffer = ""
  let stderr = ""
  proc.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8")
    const lines = buffer.split("\n")
    buffer = lines.pop() ?? ""
    for (const line of lines) {
      const [tag, seq, hash] = line.split(" ")
      if (tag === "ack" && seq !== undefined && hash !== undefined) acks.push({ seq: Number(seq), hash })
    }
  })
  proc.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("exit", (code, signal) => resolve({ code, signal }))
  )
  return { proc, acks, exited, stderr: () => stderr }
}

const waitFor = async (condition: () => boolean, timeoutMs: number) => {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error("timed out waiting for the child")
    await new Promise((r) => setTimeout(r, 5))
  }
}

const inspect = (path: string, ci: string, acks: ReadonlyArray<Ack>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const audit = yield* Audit.AuditLog
      const report = yield* audit.verify(ci)
      const head = Option.getOrThrow(yield* audit.head(ci))
      const missing: Array<number> = []
      for (let from = 1; from <= head.seq; from += 1000) {
        const stored = new Map(
          (yield* audit.read(ci, { fromSeq: from, limit: 1000 })).map((r) => [r.seq, r.hash])
        )
        for (const ack of acks)
          if (ack.seq >= from && ack.seq < from + 1000 && stored.get(ack.seq) !== ack.hash)
            missing.push(ack.seq)
      }
      return { report, head, missing }
    }).pipe(Effect.provide(StorageSqlite.layer({ path })))
  )

describe("SQLite audit log under process crashes", () => {
  it("keeps every acknowledged append and a verifiable chain after kill -9 in mid-burst, three times over", async () => {
    const path = tempDbPath()
    const ci = "crash-test"
    const all: Array<Ack> = []
    for (let round = 0; round < 3; round++) {
      const c = startChild(path, ci, 100_000, `round-${round}`)
      await waitFor(() => c.acks.length >= 150 + round * 50, 30_000)
      c.proc.kill("SIGKILL")
      const { signal } = await c.exited
      expect(signal).toBe("SIGKILL")
      all.push(...c.acks)
      const { head, missing, report } = await inspect(path, ci, all)
      expect(missing).toEqual([])
      expect(report.ok).toBe(true)
      expect(report.problems).toEqual([])
      expect(head.seq).toBeGreaterThanOrEqual(Math.max(...all.map((a) => a.seq)))
    }
  }, 120_000)

  it("keeps one unforked chain when several processes append at once", async () => {
    const path = tempDbPath()
    const ci = "multi-process"
    await Effect.runPromise(Effect.scoped(Layer.build(StorageSqlite.layer({ path }))))
    // A common start time well after the children are up, so they overlap even on a loaded machine.
    const startAt = Date.now() + 5000
    const children = [0, 1, 2].map((i) => startChild(path, ci, 400, `writer-${i}`, startAt))
    const exits = await Promise.all(children.map((c) => c.exited))
    for (const [i, e] of exits.entries()) expect(e.code, children[i]?.stderr()).toBe(0)
    const acks = children.flatMap((c) => c.acks)
    expect(acks).toHaveLength(1200)
    expect(new Set(acks.map((a) => a.seq)).size).toBe(1200)
    const { head, missing, report } = await inspect(path, ci, acks)
    expect(missing).toEqual([])
    expect(report).toMatchObject({ ok: true, checked: 1200 })
    expect(head.seq).toBe(1200)
    // The writers really overlapped: their records interleave along the chain.
    const writers = await Effect.runPromise(
      Effect.gen(function* () {
        const audit = yield* Audit.AuditLog
        const out: Array<string> = []
        for (let from = 1; from <= 1200; from += 1000) {
          for (const r of yield* audit.read(ci, { fromSeq: from, limit: 1000 })) out.push(r.actorId ?? "")
        }
        return out
      }).pipe(Effect.provide(StorageSqlite.layer({ path })))
    )
    const switches = writers.filter((w, i) => i > 0 && w !== writers[i - 1]).length
    expect(switches).toBeGreaterThan(2)
  }, 120_000)
})
