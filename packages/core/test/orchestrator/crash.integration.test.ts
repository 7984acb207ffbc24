import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { StorageSqlite } from "@bga/storage-sqlite"
import { Context, Effect, Layer } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { AuditLog } from "../../src/audit/AuditLog.js"
import type { RunEventV1 } from "../../src/contracts/RunEvent.js"
import { newId } from "../../src/ids.js"
import { RunStore } from "../../src/storage/RunStore.js"

const child = fileURLToPath(new URL("./crash-child.mjs", import.meta.url))
const built = existsSync(fileURLToPath(new URL("../../dist/orchestrator/promise.js", import.meta.url)))
const skipReason = built ? "" : " (skipped: build first, the worker process runs @bga/core from dist)"
if (!built && process.env.BGA_TEST_REQUIRE) {
  throw new Error("the crash test needs the built packages (BGA_TEST_REQUIRE is set): run pnpm build")
}

const dir = mkdtempSync(join(tmpdir(), "bga-crash-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Starts a worker process; `lines` fills as it reports. */
const start = (args: ReadonlyArray<string>) => {
  const proc: ChildProcess = spawn(process.execPath, [child, ...args], { stdio: ["ignore", "pipe", "pipe"] })
  const lines: Array<string> = []
  let buffer = ""
  let stderr = ""
  proc.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8")
    const parts = buffer.split("\n")
    buffer = parts.pop() ?? ""
    lines.push(...parts)
  })
  proc.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("exit", (code, signal) => resolve({ code, signal }))
  )
  return { proc, lines, exited, stderr: () => stderr }
}

const until = async (check: () => boolean, what: string, stderr: () => string) => {
  const end = Date.now() + 30_000
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stderr: ${stderr()}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Runs the worker until `killAt` is reported, kills it with SIGKILL, then lets a new one finish. */
const crashAndRecover = async (db: string, runId: string, hint: string, killAt: string) => {
  const first = start(["run", db, runId, hint])
  await until(() => first.lines.includes(killAt), `"${killAt}"`, first.stderr)
  first.proc.kill("SIGKILL")
  expect((await first.exited).signal).toBe("SIGKILL")
  const second = start(["recover", db, runId])
  const { code } = await second.exited
  expect(code, second.stderr()).toBe(0)
  const final = second.lines.find((l) => l.startsWith("final "))
  return { first: first.lines, second: second.lines, final }
}

/** What the database says after the crash and the recovery. */
const inspect = (db: string, runId: string) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const storage = yield* Layer.build(StorageSqlite.layer({ path: db }))
      const audit = Context.get(storage, AuditLog)
      const run = yield* Context.get(storage, RunStore).get("acme", runId)
      const records = yield* audit.list("acme", { runId, limit: 1000 })
      const report = yield* audit.verify("acme")
      return { run, records: records.items, report }
    }).pipe(Effect.scoped)
  )

const effectsOf = (db: string, runId: string) => {
  const path = `${db}.effects`
  const lines = existsSync(path) ? readFileSync(path, "utf8").trim().split("\n") : []
  const count = (tool: string) => lines.filter((l) => l === `${tool} ${runId}`).length
  return { charges: count("charge"), refunds: count("refund") }
}

/** No lost or duplicated event: ids unique, state changes numbered without a gap and chained. */
const expectWholeTimeline = (events: ReadonlyArray<RunEventV1>, finalState: string) => {
  expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length)
  expect(events[0]?.type).toBe("run.created")
  expect(events.filter((e) => e.type === "run.created")).toHaveLength(1)
  const changes = events.filter((e) => e.type === "run.state_changed")
  expect(changes.map((e) => e.payload.version)).toEqual(changes.map((_, i) => i + 2))
  let state = "QUEUED"
  for (const change of changes) {
    expect(change.payload.from).toBe(state)
    state = String(change.payload.to)
  }
  expect(state).toBe(finalState)
  // Each model step once, numbered 1, 2, 3...
  const steps = events.filter((e) => e.type === "run.model_step").map((e) => e.payload.step)
  expect(new Set(steps).size).toBe(steps.length)
  // Every call handed to the runtime ended, was sent for approval, or was judged by recovery.
  const requested = events.filter((e) => e.type === "run.tool_requested").length
  const completed = events.filter((e) => e.type === "run.tool_completed").length
  const sentForApproval = events.filter(
    (e) => e.type === "run.approval_requested" && e.payload.reapproval === false
  ).length
  expect(completed + sentForApproval).toBe(requested)
  expect(new Set(events.map((e) => e.traceId)).size).toBe(1)
}

describe.skipIf(!built)(
  `orchestrator crash test: SIGKILL a worker on SQLite, restart it${skipReason}`,
  () => {
    it("killed before the tool call (during the model call): the run resumes and each tool runs once", async () => {
      const db = join(dir, "before.sqlite")
      const runId = newId()
      const { final } = await crashAndRecover(db, runId, "before", "model 0")
      expect(final).toBe("final COMPLETED -")
      expect(effectsOf(db, runId)).toEqual({ charges: 1, refunds: 1 })
      const { records, report, run } = await inspect(db, runId)
      expect(run.state).toBe("COMPLETED")
      expect(report.ok).toBe(true)
      const events = records.filter((r) => r.kind === "run_event").map((r) => r.payload as RunEventV1)
      expectWholeTimeline(events, "COMPLETED")
      expect(events.find((e) => e.payload.event === "requeue")?.payload.reason).toBe("lease_expired")
    })

    it("killed during a non-idempotent call: never run twice; the run fails with outcome_unknown", async () => {
      const db = join(dir, "during.sqlite")
      const runId = newId()
      const { final } = await crashAndRecover(db, runId, "during", "effect charge")
      expect(final).toBe("final FAILED outcome_unknown")
      expect(effectsOf(db, runId)).toEqual({ charges: 1, refunds: 0 })
      const { records, report } = await inspect(db, runId)
      expect(report.ok).toBe(true)
      const events = records.filter((r) => r.kind === "run_event").map((r) => r.payload as RunEventV1)
      expectWholeTimeline(events, "FAILED")
      expect(events.find((e) => e.type === "run.tool_completed")?.payload.outcome).toBe("outcome_unknown")
      // The decision that allowed the call is on record; the invocation that never reported is not.
      const kinds = records.map((r) => r.eventType)
      expect(kinds.filter((k) => k === "policy.allow")).toHaveLength(1)
      expect(kinds.filter((k) => k?.startsWith("tool."))).toEqual([])
    })

    it("killed right after the tool call ended: its result is kept and the run goes on", async () => {
      const db = join(dir, "after.sqlite")
      const runId = newId()
      const { final } = await crashAndRecover(db, runId, "after", "model 1")
      expect(final).toBe("final COMPLETED -")
      expect(effectsOf(db, runId)).toEqual({ charges: 1, refunds: 1 })
      const { records, report } = await inspect(db, runId)
      expect(report.ok).toBe(true)
      const events = records.filter((r) => r.kind === "run_event").map((r) => r.payload as RunEventV1)
      expectWholeTimeline(events, "COMPLETED")
      expect(events.find((e) => e.type === "run.output")?.payload.text).toBe(
        'done: {"charged":500} {"refunded":"o-1"}'
      )
    })

    it("killed while waiting for approval: the wait survives the restart and the approval resumes it", async () => {
      const db = join(dir, "waiting.sqlite")
      const runId = newId()
      const { final, second } = await crashAndRecover(
        db,
        runId,
        "none",
        "event run.state_changed WAITING_APPROVAL"
      )
      expect(final).toBe("final COMPLETED -")
      // The restarted worker did not redo the charge: it went straight to the approved refund.
      expect(second.filter((l) => l.startsWith("model "))).toEqual(["model 2"])
      expect(effectsOf(db, runId)).toEqual({ charges: 1, refunds: 1 })
      const { records, report } = await inspect(db, runId)
      expect(report.ok).toBe(true)
      const events = records.filter((r) => r.kind === "run_event").map((r) => r.payload as RunEventV1)
      expectWholeTimeline(events, "COMPLETED")
    })
  }
)
