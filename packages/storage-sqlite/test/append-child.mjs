// A separate process that appends audit records to a SQLite store and reports each
// acknowledged append on stdout as "ack <seq> <hash>". Used by the crash and multi-process
// tests; bounded by a count and by time so it always ends on its own.
//
//   node append-child.mjs <db path> <instance id> <max appends> <label> [start at, epoch ms]
import { Audit } from "@bga/core"
import { StorageSqlite } from "@bga/storage-sqlite"
import { Effect } from "effect"

const [path, ci, max, label, startAt] = process.argv.slice(2)
const limit = Number(max)
const deadline = Date.now() + 60_000

const program = Effect.gen(function* () {
  const audit = yield* Audit.AuditLog
  // Writers started together wait for a common instant, so their bursts really overlap.
  const wait = Number(startAt ?? 0) - Date.now()
  if (wait > 0)
    yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, Math.min(wait, 10_000))))
  for (let i = 0; i < limit && Date.now() < deadline; i++) {
    const record = yield* audit.append(ci, {
      kind: "auth_event",
      eventType: "auth.login",
      actorId: label,
      payload: { i, writer: label, padding: "x".repeat(200) }
    })
    process.stdout.write(`ack ${record.seq} ${record.hash}\n`)
  }
}).pipe(Effect.provide(StorageSqlite.layer({ path })))

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${String(error)}\n`)
    process.exit(1)
  }
)
