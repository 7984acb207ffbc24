import { Ajv2020 } from "ajv/dist/2020.js"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { gatewayMethods } from "../../src/gateway/methods.js"
import { methodPath, openApiDocument } from "../../src/gateway/openapi.js"
import { closeTestGateways, makeTestGateway } from "./support/harness.js"

afterAll(closeTestGateways)

type Doc = {
  openapi: string
  paths: Record<
    string,
    {
      post: {
        "x-bga-scope": string
        responses: Record<string, { content: { "application/json": { schema: object } } }>
        requestBody: { content: { "application/json": { schema: object } } }
      }
    }
  >
  components: { schemas: Record<string, object> }
}

const doc = openApiDocument({ version: "test" }) as unknown as Doc

const validatorFor = (schema: object) => {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  ajv.addSchema({ $id: "bga:components", components: doc.components }, "bga:components")
  const rewritten = JSON.parse(
    JSON.stringify(schema).replaceAll("#/components/", "bga:components#/components/")
  )
  return ajv.compile(rewritten)
}

describe("the OpenAPI document", () => {
  it("describes every method with its scope, input, output and error body", () => {
    expect(doc.openapi).toBe("3.1.0")
    for (const method of gatewayMethods) {
      const operation = doc.paths[methodPath(method.name)]?.post
      expect(operation, method.name).toBeDefined()
      expect(operation?.["x-bga-scope"]).toBe(method.access)
      expect(operation?.responses["200"]).toBeDefined()
      expect(operation?.responses["401"]).toBeDefined()
    }
    expect(Object.keys(doc.paths)).toHaveLength(gatewayMethods.length)
  })

  it("is generated from the schemas the gateway decodes with: a valid input validates, a rejected one does not", () => {
    const input = doc.paths[methodPath("runs.create")]!.post.requestBody.content["application/json"].schema
    const validate = validatorFor(input)
    expect(validate({ input: { text: "hi" }, idempotencyKey: "k-1" })).toBe(true)
    expect(validate({ input: { text: "hi" }, admin: true })).toBe(false)
    expect(validate({ input: { text: 42 } })).toBe(false)
  })

  it("describes what the methods really return: real outputs validate against it", async () => {
    const t = await makeTestGateway()
    const token = await t.key("acme", ["admin"])
    const created = await t.call("runs.create", { input: { text: "please refund" } }, token)
    await Effect.runPromise(t.orchestrator.awaitIdle)
    if (created._tag !== "Success") throw new Error("create failed")
    const runId = (created.value as { run: { run: { runId: string } } }).run.run.runId
    const pending = await t.call("approvals.list", {}, token)
    const approvalId =
      pending._tag === "Success"
        ? (pending.value as { items: Array<{ approvalId: string }> }).items[0]!.approvalId
        : ""
    const calls: Array<[string, unknown]> = [
      ["runs.create", { input: { text: "lookup C-1" } }],
      ["runs.get", { runId }],
      ["runs.list", {}],
      ["runs.events", { runId }],
      ["approvals.list", {}],
      ["approvals.resolve", { approvalId, outcome: "approved", reason: "ok" }],
      ["audit.events.list", { limit: 50 }],
      ["audit.verify", {}],
      [
        "policy.evaluate",
        {
          subject: {
            actor: { kind: "user", id: "u-1", roles: [] },
            customerInstanceId: "acme",
            environment: "production"
          },
          action: "tool.invoke",
          resource: { kind: "tool", name: "refund_issue" }
        }
      ],
      ["auth.whoami", {}],
      ["health", {}],
      ["ready", {}]
    ]
    for (const [method, input] of calls) {
      const result = await t.call(method, input, token)
      await Effect.runPromise(t.orchestrator.awaitIdle)
      expect(result._tag, `${method}: ${result._tag === "Failure" ? result.error.message : ""}`).toBe(
        "Success"
      )
      if (result._tag !== "Success") continue
      const schema = doc.paths[methodPath(method)]!.post.responses["200"]!.content["application/json"].schema
      const validate = validatorFor(schema)
      const ok = validate(JSON.parse(JSON.stringify(result.value)))
      expect(ok, `${method}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true)
    }
    const completed = await t.call("runs.cancel", { runId }, token)
    const errorSchema =
      doc.paths[methodPath("runs.cancel")]!.post.responses["409"]!.content["application/json"].schema
    expect(completed._tag === "Failure" && completed.error.code).toBe("already_ended")
    if (completed._tag === "Failure") {
      const { errorBody } = await import("../../src/gateway/GatewayError.js")
      expect(validatorFor(errorSchema)(errorBody(completed.error, "req-1"))).toBe(true)
    }
  })
})
