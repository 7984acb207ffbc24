import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { gatewayMethods } from "../../src/gateway/methods.js"
import { grants, type Scope, scopes } from "../../src/gateway/scopes.js"
import { closeTestGateways, codeOf, makeTestGateway, type TestGateway } from "./support/harness.js"

afterAll(closeTestGateways)

/**
 * Every method against every scope: a key with exactly one scope may call a method exactly when
 * that scope grants the method's; otherwise the answer is `forbidden` and the refusal is
 * audited. Keys never reach another customer instance.
 */

let t: TestGateway
let runIdA: string
let runIdB: string
let approvalIdA: string
let approvalIdB: string

const waitForApproval = async (runId: string, ci: string) => {
  await Effect.runPromise(t.orchestrator.awaitIdle)
  const run = await Effect.runPromise(t.orchestrator.get(ci, runId))
  expect(run.run.state).toBe("WAITING_APPROVAL")
  return run.pendingApprovalId!
}

beforeAll(async () => {
  t = await makeTestGateway()
  const adminA = await t.key("acme", ["admin"])
  const adminB = await t.key("globex", ["admin"])
  const a = await t.call("runs.create", { input: { text: "please refund order 7" } }, adminA)
  const b = await t.call("runs.create", { input: { text: "please refund order 9" } }, adminB)
  if (a._tag !== "Success" || b._tag !== "Success") throw new Error("setup failed")
  runIdA = (a.value as { run: { run: { runId: string } } }).run.run.runId
  runIdB = (b.value as { run: { run: { runId: string } } }).run.run.runId
  approvalIdA = await waitForApproval(runIdA, "acme")
  approvalIdB = await waitForApproval(runIdB, "globex")
})

/** A valid input for each method (for the instance `acme`). */
const inputFor = (method: string): unknown => {
  switch (method) {
    case "runs.create":
      return { input: { text: "hello" } }
    case "runs.get":
    case "runs.events":
      return { runId: runIdA }
    case "runs.cancel":
      return { runId: runIdA, reason: "matrix" }
    case "approvals.resolve":
      return { approvalId: approvalIdA, outcome: "denied", reason: "matrix" }
    case "policy.evaluate":
      return {
        subject: {
          actor: { kind: "user", id: "u-1", roles: [] },
          customerInstanceId: "acme",
          environment: "production"
        },
        action: "tool.invoke",
        resource: { kind: "tool", name: "refund_issue" }
      }
    default:
      return {}
  }
}

// What an allowed call answers: success, or (for a second cancel or resolve) the conflict it is.
const allowedCodes: Record<string, ReadonlyArray<string>> = {
  "runs.cancel": ["ok", "already_ended"],
  "approvals.resolve": ["ok", "already_resolved"]
}

describe("the auth matrix: every method x every scope", () => {
  const protectedMethods = gatewayMethods.filter((m) => m.access !== "public")

  for (const method of protectedMethods) {
    for (const scope of scopes) {
      const allowed = method.access === "authenticated" || grants([scope], method.access as Scope)
      it(`${method.name} with only ${scope}: ${allowed ? "allowed" : "forbidden"}`, async () => {
        const token = await t.key("acme", [scope])
        const before = (
          await Effect.runPromise(t.audit.list("acme", { eventType: "auth.forbidden", limit: 1000 }))
        ).items.length
        const result = await t.call(method.name, inputFor(method.name), token)
        const after = (
          await Effect.runPromise(t.audit.list("acme", { eventType: "auth.forbidden", limit: 1000 }))
        ).items
        if (allowed) {
          expect(allowedCodes[method.name] ?? ["ok"]).toContain(codeOf(result))
          expect(after.length).toBe(before)
        } else {
          expect(codeOf(result)).toBe("forbidden")
          expect(result._tag === "Failure" && result.error.status).toBe(403)
          expect(after.length).toBe(before + 1)
          expect(after.at(-1)?.payload).toMatchObject({ method: method.name })
        }
      })
    }

    it(`${method.name} without a key: unauthenticated`, async () => {
      expect(codeOf(await t.call(method.name, inputFor(method.name), undefined))).toBe("unauthenticated")
    })

    it(`${method.name} with a forged key: unauthenticated`, async () => {
      const token = await t.key("acme", ["admin"])
      const forged = `${token.slice(0, -4)}AAAA`
      expect(
        codeOf(await t.call(method.name, inputFor(method.name), forged, { clientAddress: "10.9.9.9" }))
      ).toBe("unauthenticated")
    })
  }

  it("public methods answer without a key", async () => {
    for (const method of gatewayMethods.filter((m) => m.access === "public")) {
      expect(codeOf(await t.call(method.name, {}, undefined)), method.name).toBe("ok")
    }
  })
})

describe("cross-instance attempts", () => {
  it("a run of another instance reads as not found, never as forbidden", async () => {
    const token = await t.key("acme", ["admin"])
    for (const method of ["runs.get", "runs.events", "runs.cancel"]) {
      const result = await t.call(method, { runId: runIdB }, token)
      expect(codeOf(result), method).toBe("not_found")
    }
    const other = await Effect.runPromise(t.orchestrator.get("globex", runIdB))
    expect(other.run.state).toBe("WAITING_APPROVAL")
  })

  it("an approval of another instance cannot be resolved", async () => {
    const token = await t.key("acme", ["admin"])
    const result = await t.call("approvals.resolve", { approvalId: approvalIdB, outcome: "approved" }, token)
    expect(codeOf(result)).toBe("not_found")
    const pending = await Effect.runPromise(t.approvals.listPending("globex"))
    expect(pending.items.map((a) => a.approvalId)).toContain(approvalIdB)
  })

  it("naming another instance in runs.create or policy.evaluate is forbidden and audited", async () => {
    const token = await t.key("acme", ["admin"])
    const created = await t.call("runs.create", { customerInstanceId: "globex", input: { text: "x" } }, token)
    expect(codeOf(created)).toBe("forbidden")
    const evaluated = await t.call(
      "policy.evaluate",
      {
        subject: {
          actor: { kind: "user", id: "u-1", roles: [] },
          customerInstanceId: "globex",
          environment: "production"
        },
        action: "tool.invoke",
        resource: { kind: "tool", name: "refund_issue" }
      },
      token
    )
    expect(codeOf(evaluated)).toBe("forbidden")
    const audited = await Effect.runPromise(
      t.audit.list("acme", { eventType: "auth.forbidden", order: "desc", limit: 2 })
    )
    expect(audited.items.map((r) => r.payload.method).sort()).toEqual(["policy.evaluate", "runs.create"])
    const globexRuns = await Effect.runPromise(t.runs.list("globex"))
    expect(globexRuns.items).toHaveLength(1)
  })

  it("lists and the audit log only show the key's own instance", async () => {
    const token = await t.key("acme", ["admin"])
    const runs = await t.call("runs.list", {}, token)
    const audit = await t.call("audit.events.list", { limit: 1000 }, token)
    const approvals = await t.call("approvals.list", {}, token)
    if (runs._tag !== "Success" || audit._tag !== "Success" || approvals._tag !== "Success")
      throw new Error("failed")
    const instances = (items: ReadonlyArray<unknown>, pick: (x: never) => string) =>
      new Set(items.map((x) => pick(x as never)))
    expect(
      instances(
        (runs.value as { items: [] }).items,
        (v: { run: { customerInstanceId: string } }) => v.run.customerInstanceId
      )
    ).toEqual(new Set(["acme"]))
    expect(
      instances(
        (audit.value as { items: [] }).items,
        (r: { customerInstanceId: string }) => r.customerInstanceId
      )
    ).toEqual(new Set(["acme"]))
    expect(
      [
        ...instances(
          (approvals.value as { items: [] }).items,
          (a: { customerInstanceId: string }) => a.customerInstanceId
        )
      ].every((ci) => ci === "acme")
    ).toBe(true)
  })

  it("a key is only valid for the instance it names: moving it to another instance breaks it", async () => {
    const token = await t.key("acme", ["admin"])
    const [prefix, , keyId, secret] = token.split(".")
    const moved = [prefix, "globex", keyId, secret].join(".")
    expect(codeOf(await t.call("runs.list", {}, moved, { clientAddress: "10.8.8.8" }))).toBe(
      "unauthenticated"
    )
  })
})
