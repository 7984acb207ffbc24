import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Result } from "effect"
import * as Sandbox from "../src/sandbox/index.js"

const lane: Sandbox.SandboxLane = { laneId: "lane-1", customerInstanceId: "acme" }

/** A driver that records what it was asked to run; it runs nothing. Unit tests only. */
const recordingDriver = () => {
  const calls: Array<{ lane: Sandbox.SandboxLane; request: Sandbox.ExecRequest }> = []
  const driver: Sandbox.SandboxDriverShape = {
    acquire: (spec) => Effect.succeed({ laneId: "lane-1", customerInstanceId: spec.customerInstanceId }),
    exec: (l, request) =>
      Effect.sync(() => {
        calls.push({ lane: l, request })
        return {
          laneId: l.laneId,
          status: "exited",
          exitCode: 0,
          stdout: "",
          stderr: "",
          stdoutBytes: 0,
          stderrBytes: 0,
          truncated: false,
          durationMs: 1
        } as const
      }),
    release: () => Effect.void,
    list: () => Effect.succeed([]),
    reapIdle: Effect.succeed([])
  }
  return { calls, driver }
}

const reasonOf = <A>(exit: Exit.Exit<A, unknown>) =>
  Exit.isFailure(exit) ? (exit.cause.reasons[0] as { error?: { reason?: string } })?.error?.reason : "ok"

describe("exec requests", () => {
  it("fill in the default timeout and output limit", () => {
    const normalized = Result.getOrThrow(Sandbox.normalizeExecRequest({ command: ["true"] }))
    expect(normalized.timeoutMs).toBe(Sandbox.execBounds.defaultTimeoutMs)
    expect(normalized.outputLimitBytes).toBe(Sandbox.execBounds.defaultOutputLimitBytes)
    expect(normalized.stdin).toBeUndefined()
  })

  it.each([
    [{ command: [] }, "non-empty argv"],
    [{ command: [""] }, "command[0] is empty"],
    [{ command: ["echo", "a\u0000b"] }, "NUL"],
    [{ command: ["true"], timeoutMs: 0 }, "timeoutMs"],
    [{ command: ["true"], timeoutMs: 10_000_000 }, "timeoutMs"],
    [{ command: ["true"], outputLimitBytes: 1.5 }, "outputLimitBytes"],
    [{ command: ["true"], stdin: "x".repeat(Sandbox.execBounds.maxStdinBytes + 1) }, "stdin"],
    [{ command: ["true"], env: { "BAD-NAME": "x" } }, "env name"],
    [{ command: ["true"], workdir: "relative" }, "workdir"]
  ] as const)("refuse %j with a typed error naming the fault", (request, fault) => {
    const error = Result.merge(Sandbox.normalizeExecRequest(request as Sandbox.ExecRequest))
    expect(error).toBeInstanceOf(Sandbox.SandboxError)
    expect((error as Sandbox.SandboxError).reason).toBe("invalid-request")
    expect((error as Sandbox.SandboxError).message).toContain(fault)
  })
})

describe("lane specs", () => {
  it("name every bad field", () => {
    const error = Result.merge(
      Sandbox.decodeLaneSpec({ customerInstanceId: "Acme Corp", limits: { pids: 1 }, network: "host" })
    ) as Sandbox.SandboxError
    expect(error.reason).toBe("invalid-request")
    expect(error.message).toContain("$.customerInstanceId")
    expect(error.message).toContain("$.limits.pids")
    expect(error.message).toContain("$.network")
  })

  it("accept an instance lane with defaults", () => {
    expect(Result.getOrThrow(Sandbox.decodeLaneSpec({ customerInstanceId: "acme" }))).toEqual({
      customerInstanceId: "acme"
    })
  })
})

describe("the exec tool", () => {
  it("is declared with risk class exec and a model-facing JSON schema", () => {
    expect(Sandbox.execTool.name).toBe("exec")
    expect(Sandbox.execTool.riskClass).toBe("exec")
    expect(Sandbox.execTool.parameters).toMatchObject({
      type: "object",
      required: ["command"],
      additionalProperties: false
    })
  })

  it.effect("refuses to run without a sandbox lane", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Sandbox.invokeExecTool(
          { command: ["id"] },
          { customerInstanceId: "acme", riskyExecution: "sandbox_only" }
        )
      )
      expect(reasonOf(exit)).toBe("sandbox-required")
    })
  )

  it.effect("refuses everything when risky execution is denied, even with a lane", () =>
    Effect.gen(function* () {
      const { calls, driver } = recordingDriver()
      const exit = yield* Effect.exit(
        Sandbox.invokeExecTool(
          { command: "id" },
          { customerInstanceId: "acme", riskyExecution: "deny", sandbox: { driver, lane } }
        )
      )
      expect(reasonOf(exit)).toBe("risky-execution-denied")
      expect(calls).toHaveLength(0)
    })
  )

  it.effect("refuses a lane of another customer instance", () =>
    Effect.gen(function* () {
      const { calls, driver } = recordingDriver()
      const exit = yield* Effect.exit(
        Sandbox.invokeExecTool(
          { command: "id" },
          { customerInstanceId: "globex", riskyExecution: "sandbox_only", sandbox: { driver, lane } }
        )
      )
      expect(reasonOf(exit)).toBe("lane-not-found")
      expect(calls).toHaveLength(0)
    })
  )

  it.effect("rejects bad arguments before touching the lane", () =>
    Effect.gen(function* () {
      const { calls, driver } = recordingDriver()
      const error = yield* Effect.flip(
        Sandbox.invokeExecTool(
          { command: [], shell: true },
          { customerInstanceId: "acme", riskyExecution: "sandbox_only", sandbox: { driver, lane } }
        )
      )
      expect(error._tag).toBe("@bga/core/InvalidInputError")
      expect(error.message).toContain("$.shell")
      expect(calls).toHaveLength(0)
    })
  )

  it.effect("runs a string command through /bin/sh -c and an argv as is, in the given lane", () =>
    Effect.gen(function* () {
      const { calls, driver } = recordingDriver()
      const context = {
        customerInstanceId: "acme",
        riskyExecution: "sandbox_only",
        sandbox: { driver, lane },
        outputLimitBytes: 4096
      } as const
      yield* Sandbox.invokeExecTool({ command: "ls -l | wc -l", stdin: "x", timeoutMs: 500 }, context)
      yield* Sandbox.invokeExecTool({ command: ["ls", "-l"] }, context)
      expect(calls.map((c) => c.request.command)).toEqual([
        ["/bin/sh", "-c", "ls -l | wc -l"],
        ["ls", "-l"]
      ])
      expect(calls[0]?.request).toMatchObject({ stdin: "x", timeoutMs: 500, outputLimitBytes: 4096 })
      expect(calls.every((c) => c.lane === lane)).toBe(true)
    })
  )
})

describe("withLane", () => {
  it.effect("releases the lane when the work fails", () =>
    Effect.gen(function* () {
      const { driver } = recordingDriver()
      const released: Array<string> = []
      const tracking = {
        ...driver,
        release: (l: Sandbox.SandboxLane) => Effect.sync(() => released.push(l.laneId))
      }
      const exit = yield* Effect.exit(
        Sandbox.withLane({ customerInstanceId: "acme" }, () => Effect.fail("boom")).pipe(
          Effect.provide(Layer.succeed(Sandbox.SandboxDriver, tracking))
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(released).toEqual(["lane-1"])
    })
  )
})
