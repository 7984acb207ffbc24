// pnpm bench:audit — the audit log on SQLite and PostgreSQL, side by side in one process.
//
// 1. Durable appends per second: chained `AuditLog.append` (entry checks, hash chain, one
//    transaction per record) against raw INSERTs of the very same rows through the same driver
//    (one autocommit statement per row), same durability settings, in alternating blocks so
//    load from other processes hits both sides alike. Ratio target >= 0.5.
// 2. Query latency (p50/p95 of `AuditLog.list`, the whole API path) by run id and by time range
//    with 10k and 1M records of one customer instance in the store. The stores are seeded with
//    correctly chained rows written straight through the driver, so seeding 1M takes minutes,
//    not hours.
//
// BENCH_QUICK=1 uses smaller sizes (finishes in under 30 s) and says so. The last line of output
// is one JSON object with every figure. Build first (`pnpm build`); imports come from dist.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Audit, newId, newTraceId } from "@bga/core"
import { StoragePostgres } from "@bga/storage-postgres"
import { StorageSqlite } from "@bga/storage-sqlite"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import pg from "pg"

const quick = process.env.BENCH_QUICK === "1"
const pgUrl = process.env.BGA_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
const sizes = quick ? [10_000, 100_000] : [10_000, 1_000_000]
const appendCount = quick ? { sqlite: 3000, postgres: 3000 } : { sqlite: 20_000, postgres: 20_000 }
const queryCount = quick ? 200 : 1000
const ci = "bench"
const started = Date.now()
const dir = mkdtempSync(join(tmpdir(), "bga-bench-"))
const log = (line) => process.stdout.write(`${line}\n`)

log(
  `bench:audit ${quick ? "QUICK mode (BENCH_QUICK=1): smaller sizes, figures are indicative" : "full mode"}`
)
log(
  `  appends: sqlite ${appendCount.sqlite}, postgres ${appendCount.postgres}; query store sizes: ${sizes.join(", ")}; ${queryCount} queries each`
)

// ---------------------------------------------------------------------------------------------
// Workload

const runIds = []
const runEventEntry = (i) => {
  if (i % 20 === 0) runIds.push(newId())
  const runId = runIds[runIds.length - 1]
  return {
    kind: "run_event",
    payload: {
      version: 1,
      eventId: newId(),
      runId,
      customerInstanceId: ci,
      environment: "production",
      ts: "2026-01-31T12:00:00.000Z",
      type: "run.tool_completed",
      phase: "RUNNING",
      payload: {
        tool: "crm.lookup",
        durationMs: 120 + (i % 50),
        outcome: "succeeded",
        note: "x".repeat(180)
      },
      traceId: newTraceId()
    }
  }
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}
const round = (n, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits

/** Seeds `count` chained records (20 per run, 10 ms apart) and returns the run ids and time span. */
const seedRows = function* (count, batch) {
  const t0 = Date.parse("2026-01-01T00:00:00.000Z")
  let head
  const seedRuns = []
  for (let start = 0; start < count; start += batch) {
    const entries = []
    for (let i = start; i < Math.min(count, start + batch); i++) {
      if (i % 20 === 0) seedRuns.push(newId())
      const runId = seedRuns[seedRuns.length - 1]
      entries.push({
        kind: "run_event",
        recordId: newId(),
        runId,
        eventType: "run.tool_completed",
        payload: { runId, i, tool: "crm.lookup", note: "x".repeat(180) }
      })
    }
    // One record per 10 ms: chainEntries takes one "now" per batch, so chain record by record.
    const records = []
    for (const [j, entry] of entries.entries()) {
      const [r] = Audit.chainEntries(ci, head, [entry], t0 + (start + j) * 10)
      records.push(r)
      head = { seq: r.seq, hash: r.hash, ts: r.ts }
    }
    yield { rows: records.map(Audit.toRow), runs: seedRuns }
  }
  return { runs: seedRuns, span: [t0, t0 + count * 10] }
}

const measureQueries = async (list, runs, span) => {
  const byRun = []
  const byTime = []
  for (let q = 0; q < queryCount; q++) {
    const runId = runs[Math.floor(Math.random() * runs.length)]
    let t = performance.now()
    const a = await list({ runId, limit: 100 })
    byRun.push(performance.now() - t)
    if (a.items.length === 0) throw new Error("run query returned nothing")
    const from = span[0] + Math.floor(Math.random() * (span[1] - span[0] - 2000))
    t = performance.now()
    const b = await list({
      from: new Date(from).toISOString(),
      to: new Date(from + 1000).toISOString(),
      limit: 100
    })
    byTime.push(performance.now() - t)
    if (b.items.length === 0) throw new Error("time query returned nothing")
  }
  return {
    run_p50_ms: round(percentile(byRun, 50)),
    run_p95_ms: round(percentile(byRun, 95)),
    time_p50_ms: round(percentile(byTime, 50)),
    time_p95_ms: round(percentile(byTime, 95))
  }
}

/**
 * Times chained appends against raw inserts of the same rows in alternating blocks, so load
 * from other processes on the machine hits both sides alike. `chained(i)` appends entry i and
 * returns its stored row; `raw(rows)` inserts rows one statement each. Reports totals and the
 * median of the per-block ratios.
 */
const interleaved = async (count, chained, raw) => {
  const blocks = 10
  const per = Math.ceil(count / blocks)
  let chainedMs = 0
  let rawMs = 0
  const ratios = []
  for (let b = 0; b < blocks; b++) {
    const rows = []
    let t = performance.now()
    for (let i = b * per; i < Math.min(count, (b + 1) * per); i++) rows.push(await chained(i))
    const c = performance.now() - t
    t = performance.now()
    await raw(rows)
    const r = performance.now() - t
    chainedMs += c
    rawMs += r
    ratios.push(r / c)
  }
  return {
    chained_appends_per_s: Math.round(count / (chainedMs / 1000)),
    raw_inserts_per_s: Math.round(count / (rawMs / 1000)),
    ratio_chained_vs_raw: round(percentile(ratios, 50), 2),
    ratio_totals: round(rawMs / chainedMs, 2)
  }
}

// ---------------------------------------------------------------------------------------------
// SQLite

const sqliteInsert =
  "INSERT INTO audit_records (customer_instance_id, seq, record_id, kind, ts, run_id, decision_id, actor_id, event_type, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
const params = (r) => [
  r.customerInstanceId,
  r.seq,
  r.recordId,
  r.kind,
  r.ts,
  r.runId,
  r.decisionId,
  r.actorId,
  r.eventType,
  r.payload,
  r.prevHash,
  r.hash
]

const withPorts = async (layer, body) => {
  const scope = Effect.runSync(Scope.make())
  try {
    const ctx = await Effect.runPromise(Layer.buildWithScope(layer, scope))
    const audit = Context.get(ctx, Audit.AuditLog)
    return await body(audit)
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const sqliteBench = async () => {
  const result = {}
  // Appends: the chained store and a raw table with the same schema and pragmas, side by side.
  const rawPath = join(dir, "raw.sqlite")
  await withPorts(StorageSqlite.layer({ path: rawPath }), async () => undefined)
  const raw = new DatabaseSync(rawPath)
  raw.exec("PRAGMA journal_mode = WAL")
  raw.exec("PRAGMA synchronous = FULL")
  const insert = raw.prepare(sqliteInsert)
  Object.assign(
    result,
    await withPorts(StorageSqlite.layer({ path: join(dir, "chained.sqlite") }), (audit) =>
      interleaved(
        appendCount.sqlite,
        async (i) => Audit.toRow(await Effect.runPromise(audit.append(ci, runEventEntry(i)))),
        async (rows) => {
          for (const r of rows) insert.run(...params(r))
        }
      )
    )
  )
  raw.close()
  let t
  log(
    `sqlite   durable appends: chained ${result.chained_appends_per_s}/s, raw ${result.raw_inserts_per_s}/s, median block ratio ${result.ratio_chained_vs_raw}, totals ratio ${result.ratio_totals} (synchronous=FULL, WAL)`
  )

  // Queries at each size.
  for (const size of sizes) {
    const path = join(dir, `q${size}.sqlite`)
    await withPorts(StorageSqlite.layer({ path }), async () => undefined)
    const db = new DatabaseSync(path)
    db.exec("PRAGMA synchronous = OFF")
    const ins = db.prepare(sqliteInsert)
    t = performance.now()
    const gen = seedRows(size, 10_000)
    let step = gen.next()
    while (!step.done) {
      db.exec("BEGIN")
      for (const r of step.value.rows) ins.run(...params(r))
      db.exec("COMMIT")
      step = gen.next()
    }
    db.exec("ANALYZE")
    db.close()
    const seedSeconds = (performance.now() - t) / 1000
    const { runs, span } = step.value
    const q = await withPorts(StorageSqlite.layer({ path }), (audit) =>
      measureQueries((query) => Effect.runPromise(audit.list(ci, query)), runs, span)
    )
    result[`q${size}`] = q
    log(
      `sqlite   ${size} records (seeded in ${round(seedSeconds, 1)} s): by run p50 ${q.run_p50_ms} ms p95 ${q.run_p95_ms} ms; by time p50 ${q.time_p50_ms} ms p95 ${q.time_p95_ms} ms`
    )
    rmSync(path, { force: true })
  }
  return result
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

const pgBench = async () => {
  const probe = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 })
  try {
    await probe.connect()
  } catch (error) {
    log(`postgres skipped: ${pgUrl} not reachable (${error.message})`)
    return { skipped: true }
  }
  const schemas = []
  const schema = (name) => {
    const s = `bga_bench_${name}_${Date.now().toString(36)}`
    schemas.push(s)
    return s
  }
  const result = {}
  try {
    const rawSchema = schema("raw")
    await withPorts(StoragePostgres.layer({ url: pgUrl, schema: rawSchema }), async () => undefined)
    const pool = new pg.Pool({ connectionString: pgUrl, max: 2, options: `-c search_path=${rawSchema}` })
    let n = 0
    const insert = sqliteInsert.replace(/\?/g, () => `$${++n}`)
    Object.assign(
      result,
      await withPorts(
        StoragePostgres.layer({ url: pgUrl, schema: schema("chained"), maxConnections: 2 }),
        (audit) =>
          interleaved(
            appendCount.postgres,
            async (i) => Audit.toRow(await Effect.runPromise(audit.append(ci, runEventEntry(i)))),
            async (rows) => {
              for (const r of rows) await pool.query(insert, params(r))
            }
          )
      )
    )
    await pool.end()
    let t
    log(
      `postgres durable appends: chained ${result.chained_appends_per_s}/s, raw ${result.raw_inserts_per_s}/s, median block ratio ${result.ratio_chained_vs_raw}, totals ratio ${result.ratio_totals} (synchronous_commit=on)`
    )

    for (const size of sizes) {
      const s = schema(`q${size}`)
      await withPorts(StoragePostgres.layer({ url: pgUrl, schema: s }), async () => undefined)
      const seeder = new pg.Client({
        connectionString: pgUrl,
        options: `-c search_path=${s} -c synchronous_commit=off`
      })
      await seeder.connect()
      t = performance.now()
      const gen = seedRows(size, 5_000)
      let step = gen.next()
      while (!step.done) {
        const cols = (k) => step.value.rows.map((r) => r[k])
        await seeder.query(
          `INSERT INTO audit_records SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])`,
          [
            ci,
            cols("seq"),
            cols("recordId"),
            cols("kind"),
            cols("ts"),
            cols("runId"),
            cols("decisionId"),
            cols("actorId"),
            cols("eventType"),
            cols("payload"),
            cols("prevHash"),
            cols("hash")
          ]
        )
        step = gen.next()
      }
      await seeder.query("VACUUM ANALYZE audit_records")
      await seeder.end()
      const seedSeconds = (performance.now() - t) / 1000
      const { runs, span } = step.value
      const q = await withPorts(
        StoragePostgres.layer({ url: pgUrl, schema: s, maxConnections: 2 }),
        (audit) => measureQueries((query) => Effect.runPromise(audit.list(ci, query)), runs, span)
      )
      result[`q${size}`] = q
      log(
        `postgres ${size} records (seeded in ${round(seedSeconds, 1)} s): by run p50 ${q.run_p50_ms} ms p95 ${q.run_p95_ms} ms; by time p50 ${q.time_p50_ms} ms p95 ${q.time_p95_ms} ms`
      )
      await probe.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`)
    }
  } finally {
    for (const s of schemas) await probe.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined)
    await probe.end()
  }
  return result
}

// ---------------------------------------------------------------------------------------------

const sqlite = await sqliteBench()
const postgres = await pgBench()
rmSync(dir, { recursive: true, force: true })

const [small, large] = sizes
const growth = (r, key) =>
  r?.[`q${small}`] && r?.[`q${large}`] ? round(r[`q${large}`][key] / r[`q${small}`][key], 2) : null
const summary = {
  bench: "audit",
  mode: quick ? "quick" : "full",
  sizes,
  sqlite_chained_appends_per_s: sqlite.chained_appends_per_s,
  sqlite_raw_inserts_per_s: sqlite.raw_inserts_per_s,
  sqlite_ratio_chained_vs_raw: sqlite.ratio_chained_vs_raw,
  sqlite_ratio_chained_vs_raw_totals: sqlite.ratio_totals,
  postgres_chained_appends_per_s: postgres.chained_appends_per_s ?? null,
  postgres_raw_inserts_per_s: postgres.raw_inserts_per_s ?? null,
  postgres_ratio_chained_vs_raw: postgres.ratio_chained_vs_raw ?? null,
  postgres_ratio_chained_vs_raw_totals: postgres.ratio_totals ?? null,
  ...Object.fromEntries(
    sizes.flatMap((size) => [
      [`sqlite_run_p50_ms_${size}`, sqlite[`q${size}`].run_p50_ms],
      [`sqlite_run_p95_ms_${size}`, sqlite[`q${size}`].run_p95_ms],
      [`sqlite_time_p50_ms_${size}`, sqlite[`q${size}`].time_p50_ms],
      [`sqlite_time_p95_ms_${size}`, sqlite[`q${size}`].time_p95_ms],
      [`postgres_run_p50_ms_${size}`, postgres[`q${size}`]?.run_p50_ms ?? null],
      [`postgres_run_p95_ms_${size}`, postgres[`q${size}`]?.run_p95_ms ?? null],
      [`postgres_time_p50_ms_${size}`, postgres[`q${size}`]?.time_p50_ms ?? null],
      [`postgres_time_p95_ms_${size}`, postgres[`q${size}`]?.time_p95_ms ?? null]
    ])
  ),
  sqlite_run_p95_growth: growth(sqlite, "run_p95_ms"),
  sqlite_time_p95_growth: growth(sqlite, "time_p95_ms"),
  postgres_run_p95_growth: growth(postgres, "run_p95_ms"),
  postgres_time_p95_growth: growth(postgres, "time_p95_ms"),
  seconds: round((Date.now() - started) / 1000, 1)
}
log(
  `p95 growth from ${small} to ${large} records: sqlite run x${summary.sqlite_run_p95_growth}, time x${summary.sqlite_time_p95_growth}; postgres run x${summary.postgres_run_p95_growth}, time x${summary.postgres_time_p95_growth}`
)
log(JSON.stringify(summary))
