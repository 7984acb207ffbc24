import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { closeTestGateways, codeOf, makeTestGateway } from "./support/harness.js"

afterAll(closeTestGateways)

/** Bad input gets a JSON error with a stable code, names what was wrong, and writes nothing. */
describe("bad input to the gateway", () => {
  const cases: ReadonlyArray<{ name: string; method: string; body: string; code: string; path?: string }> = [
    {
      name: "malformed JSON",
      method: "runs.create",
      body: '{"input": {"text": "hi"',
      code: "malformed_json"
    },
    { name: "JSON that is not an object", method: "runs.create", body: "[1,2,3]", code: "invalid_input" },
    {
      name: "a wrong type",
      method: "runs.create",
      body: '{"input": {"text": 42}}',
      code: "invalid_input",
      path: "$.input.text"
    },
    {
      name: "a missing field",
      method: "runs.create",
      body: '{"idempotencyKey": "k"}',
      code: "invalid_input",
      path: "$.input"
    },
    {
      name: "an unknown key",
      method: "runs.create",
      body: '{"input": {"text": "hi"}, "admin": true}',
      code: "invalid_input",
      path: "$.admin"
    },
    {
      name: "a __proto__ key",
      method: "runs.create",
      body: '{"input": {"text": "hi"}, "__proto__": {"x": 1}}',
      code: "invalid_input"
    },
    {
      name: "an id that is not an id",
      method: "runs.get",
      body: '{"runId": "../../etc/passwd"}',
      code: "invalid_input",
      path: "$.runId"
    },
    {
      name: "an out-of-range limit",
      method: "runs.list",
      body: '{"limit": 100000}',
      code: "invalid_input",
      path: "$.limit"
    },
    {
      name: "deeply nested JSON",
      method: "runs.create",
      body: `${"[".repeat(100)}${"]".repeat(100)}`,
      code: "invalid_input"
    },
    {
      name: "an unknown outcome",
      method: "approvals.resolve",
      body: '{"approvalId": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "outcome": "maybe"}',
      code: "invalid_input",
      path: "$.outcome"
    }
  ]

  for (const c of cases) {
    it(`${c.name}: ${c.code}${c.path ? ` at ${c.path}` : ""}, nothing written`, async () => {
      const t = await makeTestGateway()
      const token = await t.key("acme", ["admin"])
      const auditBefore = (await Effect.runPromise(t.audit.list("acme", { limit: 1000 }))).items.length
      const result = await t.call(c.method, undefined, token, { body: c.body })
      expect(codeOf(result)).toBe(c.code)
      if (result._tag === "Failure") {
        expect(result.error.status).toBe(400)
        if (c.path !== undefined) expect(result.error.problems?.map((p) => p.path)).toContain(c.path)
      }
      expect((await Effect.runPromise(t.runs.list("acme"))).items).toHaveLength(0)
      expect((await Effect.runPromise(t.audit.list("acme", { limit: 1000 }))).items.length).toBe(auditBefore)
    })
  }

  it("an unknown method: unknown_method (404), before any credential is looked at", async () => {
    const t = await makeTestGateway()
    const result = await t.call("runs.delete_everything", {}, undefined)
    expect(codeOf(result)).toBe("unknown_method")
    expect(result._tag === "Failure" && result.error.status).toBe(404)
    expect((await Effect.runPromise(t.audit.list("gateway"))).items).toHaveLength(0)
  })

  it("missing or wrong credentials: unauthenticated (401), the same answer for every reason, audited", async () => {
    const t = await makeTestGateway()
    const token = await t.key("acme", ["admin"])
    const answers = await Promise.all(
      [
        undefined,
        "",
        "Basic abc",
        `${token}x`,
        token.replace(/\.[^.]+$/u, ".xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
      ].map((credential) => t.call("runs.create", { input: { text: "hi" } }, credential))
    )
    for (const answer of answers) {
      expect(
        answer._tag === "Failure" && [answer.error.code, answer.error.status, answer.error.detail]
      ).toEqual(["unauthenticated", 401, answers[0]?._tag === "Failure" ? answers[0].error.detail : ""])
    }
    expect((await Effect.runPromise(t.runs.list("acme"))).items).toHaveLength(0)
    const denied = [
      ...(await Effect.runPromise(t.audit.list("gateway", { eventType: "auth.denied" }))).items,
      ...(await Effect.runPromise(t.audit.list("acme", { eventType: "auth.denied" }))).items
    ]
    expect(denied).toHaveLength(5)
  })

  it("a body is decoded only after the credential and scope are checked", async () => {
    const t = await makeTestGateway()
    const reader = await t.key("acme", ["runs:read"])
    expect(codeOf(await t.call("runs.create", undefined, undefined, { body: "{not json" }))).toBe(
      "unauthenticated"
    )
    expect(codeOf(await t.call("runs.create", undefined, reader, { body: "{not json" }))).toBe("forbidden")
  })
})
