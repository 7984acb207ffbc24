import { Storage } from "@bga/core"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { drive } from "../bench/loadgen.mjs"
import { cleanup, createKey, startTestHost } from "./support.js"

/**
 * runs.create at sustained concurrency on loopback: zero errors, and every accepted run is in
 * the store afterwards. 10 s by default (CI); `pnpm loadtest:gateway` runs it for 60 s
 * (BGA_LOAD_SECONDS), printing the figures.
 */
const seconds = Number(process.env.BGA_LOAD_SECONDS ?? 10)
const connections = Number(process.env.BGA_LOAD_CONNECTIONS ?? 16)

afterAll(cleanup)

describe("load: runs.create", () => {
  it(
    `${connections} connections for ${seconds} s: no errors, every accepted run stored`,
    async () => {
      const { host } = await startTestHost({
        gateway: {
          log: { level: "warn" },
          sqliteSynchronous: process.env.BGA_LOAD_SQLITE_SYNC === "NORMAL" ? "NORMAL" : "FULL"
        }
      })
      try {
        const token = await createKey(host, "load", ["runs:write"])
        const accepted = new Set<string>()
        const figures = await drive({
          url: `${host.url}/api/v1/runs.create`,
          headers: { authorization: `Bearer ${token}` },
          body: (i: number) => JSON.stringify({ input: { text: `load ${i}` }, idempotencyKey: `load-${i}` }),
          seconds,
          connections,
          onBody: (body: Buffer) => {
            const parsed = JSON.parse(body.toString("utf8")) as { run?: { run?: { runId?: string } } }
            const runId = parsed.run?.run?.runId
            if (runId !== undefined) accepted.add(runId)
          }
        })
        await host.run(host.orchestrator.awaitIdle)
        const stored = new Set<string>()
        let cursor: string | undefined
        for (let page = 0; page < 10_000; page++) {
          const result = await host.run(
            Effect.flatMap(Effect.service(Storage.RunStore), (runs) =>
              runs.list("load", { limit: 1000, ...(cursor === undefined ? {} : { cursor }) })
            )
          )
          for (const run of result.items) stored.add(run.runId)
          cursor = result.nextCursor
          if (cursor === undefined) break
        }
        const missing = [...accepted].filter((id) => !stored.has(id))
        console.log(
          `load runs.create: ${JSON.stringify({ ...figures, accepted: accepted.size, stored: stored.size, missing: missing.length })}`
        )
        expect(figures.errors).toBe(0)
        expect(figures.timeouts).toBe(0)
        expect(figures.non2xx).toBe(0)
        expect(figures.ok).toBeGreaterThan(seconds * 5)
        expect(accepted.size).toBe(figures.ok)
        expect(missing).toEqual([])
      } finally {
        await host.stop()
      }
    },
    (seconds + 120) * 1000
  )
})
