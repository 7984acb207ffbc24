import { Result, Schema } from "effect"
import Type from "typebox"
import { describe, expect, it } from "vitest"
import { z } from "zod"
import { defineTool, ToolDefinitionError } from "../../src/tools/ToolDefinition.js"
import { makeToolRegistry, pluginNamespace } from "../../src/tools/ToolRegistry.js"

const handler = () => "ok"
const paramsOf = {
  "Effect Schema": Schema.Struct({ city: Schema.String, days: Schema.optionalKey(Schema.Int) }),
  "zod 4": z.object({ city: z.string(), days: z.number().int().optional() }).strict(),
  "TypeBox / JSON Schema": Type.Object(
    { city: Type.String(), days: Type.Optional(Type.Integer()) },
    { additionalProperties: false }
  )
}

describe("tool parameters", () => {
  describe.each(Object.entries(paramsOf))("declared with %s", (_, parameters) => {
    const tool = defineTool({ name: "weather", description: "Forecast", parameters, handler })

    it("exposes a JSON Schema object to the model", () => {
      expect(tool.parameters.jsonSchema).toMatchObject({ type: "object", required: ["city"] })
      expect(JSON.stringify(tool.parameters.jsonSchema)).toContain('"city"')
    })

    it("accepts valid arguments", async () => {
      const result = await tool.parameters.validate({ city: "Oslo", days: 3 })
      expect(Result.isSuccess(result) && result.success).toEqual({ city: "Oslo", days: 3 })
    })

    it("rejects invalid arguments with the path of each problem", async () => {
      const result = await tool.parameters.validate({ city: 42 })
      expect(Result.isFailure(result)).toBe(true)
      const problems = Result.isFailure(result) ? result.failure : []
      expect(problems.map((p) => p.path)).toContain("$.city")
    })

    it("rejects unknown arguments", async () => {
      const result = await tool.parameters.validate({ city: "Oslo", extra: true })
      expect(Result.isFailure(result)).toBe(true)
    })

    it("applies untrusted-input limits before the schema", async () => {
      const result = await tool.parameters.validate(JSON.parse('{"city":"x","__proto__":{"admin":true}}'))
      expect(Result.isFailure(result) && result.failure[0]?.message).toMatch(/__proto__/)
    })
  })
})

describe("defineTool", () => {
  const base = { description: "d", parameters: Type.Object({}), handler }

  it.each([
    ["Bad Name", "invalid-name"],
    ["../etc", "invalid-name"],
    ["", "invalid-name"]
  ])("rejects the name %j", (name, reason) => {
    expect(() => defineTool({ ...base, name })).toThrow(expect.objectContaining({ reason }))
  })

  it("rejects a timeout out of range", () => {
    expect(() => defineTool({ ...base, name: "t", timeoutMs: 0 })).toThrow(ToolDefinitionError)
  })

  it("rejects a malformed group or secret name", () => {
    expect(() => defineTool({ ...base, name: "t", groups: ["web"] })).toThrow(/invalid-group/)
    expect(() => defineTool({ ...base, name: "t", secrets: ["lower"] })).toThrow(/invalid-secret/)
  })

  it("rejects parameters that are not a schema", () => {
    expect(() => defineTool({ ...base, name: "t", parameters: { type: "no-such-type" } })).toThrow(
      /invalid-parameters/
    )
  })

  it("fills in safe defaults: not idempotent, bounded time and output", () => {
    const tool = defineTool({ ...base, name: "t" })
    expect(tool).toMatchObject({
      idempotent: false,
      timeoutMs: 30_000,
      maxOutputBytes: 65_536,
      riskClass: undefined
    })
  })
})

describe("tool registry", () => {
  const tool = (name: string) => defineTool({ name, description: name, parameters: Type.Object({}), handler })

  it("refuses two tools with one name", () => {
    expect(() => makeToolRegistry([tool("a"), tool("a")])).toThrow(
      expect.objectContaining({ reason: "duplicate" })
    )
  })

  it("namespaces plugin tools so they cannot shadow built-ins", () => {
    const registry = makeToolRegistry(
      [tool("lookup")],
      [{ plugin: "@acme/crm-tools", tools: [tool("lookup")] }]
    )
    expect(registry.list().map((t) => t.name)).toEqual(["lookup", "acme-crm-tools.lookup"])
    expect(registry.get("acme-crm-tools.lookup")?.plugin).toBe("@acme/crm-tools")
  })

  it("refuses a plugin tool that names its own namespace", () => {
    expect(() => makeToolRegistry([], [{ plugin: "p", tools: [tool("other.lookup")] }])).toThrow(
      /invalid-name/
    )
  })

  it("describes tools for the model", () => {
    const registry = makeToolRegistry([tool("a")])
    expect(registry.describe()).toEqual([
      { name: "a", description: "a", parameters: expect.objectContaining({ type: "object" }) }
    ])
  })

  it("derives a plugin namespace from a package name", () => {
    expect(pluginNamespace("@acme/crm-tools")).toBe("acme-crm-tools")
  })
})
