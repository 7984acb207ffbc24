import { afterAll, describe, expect, it } from "vitest"
import { runDemo } from "../src/demo/demo.js"
import { cleanup, tempDir, testOrchestratorLayer } from "./support.js"

afterAll(cleanup)

describe("npm run demo", () => {
  it("starts the gateway on loopback, prints the admin URL and a one-time key, and seeds a run waiting for approval", async () => {
    const lines: Array<string> = []
    const demo = await runDemo({
      port: 0,
      dir: tempDir("demo"),
      out: (line) => lines.push(line),
      orchestrator: testOrchestratorLayer()
    })
    try {
      const text = lines.join("\n")
      expect(demo.host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/u)
      expect(text).toContain(`${demo.host.url}/admin/`)
      expect(text).toContain(demo.token)
      expect(await demo.check()).toBe(true)
      const pending = await fetch(`${demo.host.url}/api/v1/approvals.list`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${demo.token}` },
        body: "{}"
      })
      const queue = (await pending.json()) as {
        items: Array<{ request: { toolName: string; argsPreview: unknown } }>
      }
      expect(queue.items.map((a) => a.request.toolName)).toEqual(["refund_issue"])
      expect(queue.items[0]?.request.argsPreview).toMatchObject({
        customerId: "C-1042",
        amount: 120,
        currency: "EUR"
      })
    } finally {
      await demo.host.stop()
    }
  })
})
