import { StorageMemory } from "@bga/storage-memory"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Config, Model, Orchestrator, Policy, Secrets, Tools } from "../../src/index.js"
import { InvalidInputError } from "../../src/json/JsonError.js"
import * as ScriptedModel from "../../src/testing/ScriptedModel.js"
import { makeStack, makeTools, request, type ToolLog, testPolicy } from "./harness.js"

describe("orchestrator: the Effect layer", () => {
  it.effect(
    "wires from a storage layer, configuration, a policy document, secrets, tools and a model",
    () => {
      // The wiring the orchestrator README shows.
      const log: ToolLog = { calls: [], aborts: [] }
      const registry = Tools.makeToolRegistry(makeTools(log))
      const model = ScriptedModel.make([
        { toolCalls: [{ name: "lookup", args: { email: "a@example.com" } }] },
        { text: "gold" }
      ])
      const deps = Layer.mergeAll(
        StorageMemory.layer,
        Config.layer(),
        Secrets.layerEnv({}),
        Layer.succeed(Model.ModelPort, model)
      )
      const policy = Policy.layerDocument(testPolicy).pipe(Layer.provide(Policy.layerTraceSinkNoop))
      const stack = Orchestrator.layer({ tools: registry, customerInstances: ["acme"] }).pipe(
        Layer.provideMerge(Tools.layer(registry)),
        Layer.provideMerge(policy),
        Layer.provideMerge(deps)
      )
      return Effect.gen(function* () {
        const orchestrator = yield* Orchestrator.Orchestrator
        const { run } = yield* orchestrator.create(request())
        yield* orchestrator.awaitIdle
        const view = yield* orchestrator.get("acme", run.run.runId)
        expect(view.run.state).toBe("COMPLETED")
        expect(view.output).toBe("gold")
        expect(log.calls).toHaveLength(1)
      }).pipe(Effect.provide(stack))
    }
  )

  it.effect("refuses options that make no sense, naming each", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        makeStack({
          script: [],
          orchestrator: { maxSteps: 0, lease: { ttlMs: 5 }, approvalDenied: "maybe" as never }
        })
      )
      expect(error).toBeInstanceOf(InvalidInputError)
      expect((error as InvalidInputError).problems.map((p) => p.path).sort()).toEqual([
        "$.approvalDenied",
        "$.lease.ttlMs",
        "$.maxSteps"
      ])
    })
  )
})
