import { existsSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { type Browser, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { GatewayHost } from "../src/host.js"
import { cleanup, createKey, startTestHost, tempDir } from "./support.js"

/**
 * The admin UI end to end in headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core): sign in with a key, start a run, approve its pending tool call, see the run
 * complete, verify the audit chain, ask the policy. Skips with its reason when Chromium is
 * missing, and fails instead when BGA_TEST_REQUIRE is set (CI provisions it with
 * .ci/provision/chromium.sh).
 */
const executablePath = process.env.BGA_CHROMIUM ?? "/usr/bin/chromium"
const present = existsSync(executablePath)
if (!present && process.env.BGA_TEST_REQUIRE) {
  throw new Error(
    `Chromium is required (BGA_TEST_REQUIRE is set) but ${executablePath} does not exist; run .ci/provision/chromium.sh`
  )
}
const skipReason = present
  ? ""
  : ` (skipped: no Chromium at ${executablePath}; run .ci/provision/chromium.sh or set BGA_CHROMIUM)`

describe.skipIf(!present)(`the admin UI in Chromium${skipReason}`, () => {
  let browser: Browser
  let host: GatewayHost
  let page: Page
  let token: string
  const shots = process.env.BGA_SCREENSHOTS ?? tempDir("screens")
  const shot = async (name: string) => {
    mkdirSync(shots, { recursive: true })
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
  }

  beforeAll(async () => {
    host = (await startTestHost()).host
    token = await createKey(host, "acme", ["admin"])
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage"
      ]
    })
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    page.setDefaultTimeout(15_000)
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await host?.stop()
    if (process.env.BGA_SCREENSHOTS === undefined) cleanup()
  })

  it("refuses a wrong key with the gateway's error code", async () => {
    await page.goto(`${host.url}/`)
    await page.getByTestId("api-key").fill("bga1.acme.not-a-key")
    await page.getByTestId("sign-in").click()
    await expect.poll(() => page.getByTestId("error").textContent()).toContain("unauthenticated")
    await shot("01-login-refused")
  })

  it("signs in, starts a run that waits for approval, approves it and sees it complete", async () => {
    await page.getByTestId("api-key").fill(token)
    await page.getByTestId("sign-in").click()
    await expect.poll(() => page.getByTestId("instance").textContent()).toBe("acme")
    await page.getByTestId("run-text").fill("Please refund 120 EUR to customer C-1042 for order 7")
    await shot("02-runs")
    await page.getByTestId("start-run").click()

    await expect
      .poll(() => page.getByTestId("run-state").textContent(), { timeout: 15_000 })
      .toBe("WAITING_APPROVAL")
    await expect.poll(() => page.getByTestId("approval").count()).toBe(1)
    await shot("03-run-waiting")

    await page.getByRole("link", { name: "Approvals" }).click()
    const card = page.getByTestId("approval")
    await expect.poll(() => card.count()).toBe(1)
    expect(await card.textContent()).toContain("refund_issue")
    await shot("04-approvals")
    await card.getByRole("textbox").fill("Order 7 arrived damaged")
    await card.getByTestId("approve").click()
    await expect.poll(() => page.getByTestId("resolved").textContent()).toContain("approved")
    await expect.poll(() => page.getByTestId("approvals-empty").count()).toBe(1)

    await page.getByRole("link", { name: "Runs" }).click()
    await page.getByTestId("run-row").first().getByRole("link").click()
    await expect
      .poll(() => page.getByTestId("run-state").textContent(), { timeout: 15_000 })
      .toBe("COMPLETED")
    expect(await page.getByTestId("run-output").textContent()).toContain("refunded")
    const timeline = await page.getByTestId("timeline").textContent()
    for (const type of ["run.created", "run.approval_requested", "run.approval_resolved", "run.output"]) {
      expect(timeline).toContain(type)
    }
    const invocations = await page.getByTestId("invocations").textContent()
    expect(invocations).toContain("refund_issue")
    expect(invocations).toContain("succeeded")
    await shot("05-run-completed")
  })

  it("verifies the audit chain and filters the log", async () => {
    await page.getByRole("link", { name: "Audit log" }).click()
    await page.getByTestId("verify").click()
    await expect.poll(() => page.getByTestId("verify-result").textContent()).toContain("Chain intact")
    await page.locator("select[name=kind]").selectOption("approval_decision")
    await page.getByTestId("audit-search").click()
    await expect.poll(() => page.getByTestId("audit-row").count()).toBe(1)
    expect(await page.getByTestId("audit-results").textContent()).toContain("approval.approved")
    await shot("06-audit")
  })

  it("asks the policy in the playground and shows the trace", async () => {
    await page.getByRole("link", { name: "Policy" }).click()
    await page.getByTestId("resource-name").fill("refund_issue")
    await page.getByTestId("evaluate").click()
    await expect.poll(() => page.getByTestId("policy-effect").textContent()).toBe("require_approval")
    expect(await page.getByTestId("policy-result").textContent()).toContain("refunds-need-a-human")
    await shot("07-policy")
  })

  it("signs out and forgets the key", async () => {
    await page.getByTestId("sign-out").click()
    await expect.poll(() => page.getByTestId("login").count()).toBe(1)
    expect(await page.evaluate(() => sessionStorage.getItem("bga.apiKey"))).toBeNull()
  })
})
