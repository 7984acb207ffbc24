import * as childProcess from "node:child_process"
import { createRequire, syncBuiltinESMExports } from "node:module"
import { hostname } from "node:os"
import { type ExecToolContext, invokeExecTool } from "@bga/core/sandbox"
import { Effect } from "effect"
import { afterAll, beforeAll, expect, it, type MockInstance, vi } from "vitest"
import type { EngineClient } from "../src/internal/engine.js"
import { describeWithEngine, laneContainers, openEffectDriver } from "./support/engine.js"

/** The CommonJS face of node:child_process: patching it (and syncing) also patches ESM imports. */
const cjs = createRequire(import.meta.url)("node:child_process") as typeof childProcess

const spawners = ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const

describeWithEngine("the exec tool under sandbox_only", (engine: EngineClient) => {
  let sandbox: Awaited<ReturnType<typeof openEffectDriver>>
  const spies: Array<MockInstance> = []

  beforeAll(async () => {
    sandbox = await openEffectDriver("test-exec-tool")
    // Every way Node can start a host process: the module functions and the class they all use.
    for (const name of spawners)
      spies.push(vi.spyOn(cjs as unknown as Record<string, () => unknown>, name) as MockInstance)
    spies.push(
      vi.spyOn(
        cjs.ChildProcess.prototype as unknown as Record<string, () => unknown>,
        "spawn"
      ) as MockInstance
    )
    syncBuiltinESMExports()
  })

  afterAll(async () => {
    for (const spy of spies) spy.mockRestore()
    syncBuiltinESMExports()
    await sandbox?.close()
  })

  it("would notice a host process being started (control)", () => {
    const spy = spies[0] as MockInstance<typeof childProcess.spawn>
    spy.mockImplementationOnce(() => {
      throw new Error("refused in test")
    })
    // Through the ESM named export, as library code would call it.
    expect(() => childProcess.spawn("true")).toThrow("refused in test")
    expect(spy).toHaveBeenCalledTimes(1)
    spy.mockClear()
  })

  it("runs the command inside the lane container and starts no host process", async () => {
    const lane = await sandbox.run(sandbox.driver.acquire({ customerInstanceId: "acme" }))
    const context: ExecToolContext = {
      customerInstanceId: "acme",
      riskyExecution: "sandbox_only",
      sandbox: { driver: sandbox.driver, lane }
    }
    for (const spy of spies) spy.mockClear()
    const result = await sandbox.run(
      invokeExecTool(
        { command: "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; cat /proc/self/cgroup" },
        context
      )
    )
    for (const spy of spies) expect(spy).not.toHaveBeenCalled()

    const [container] = await laneContainers(engine, lane.laneId)
    const inspect = await engine.call<{ Id: string; Config: { Hostname: string } }>(
      "GET",
      `/containers/${container?.Id}/json`
    )
    const [laneHostname, pid1, ...cgroups] = result.stdout.trim().split("\n")
    expect(result).toMatchObject({ status: "exited", exitCode: 0 })
    expect(laneHostname).toBe(inspect.body.Config.Hostname)
    expect(laneHostname).not.toBe(hostname())
    // PID 1 of the process's namespace is the lane's init, not the host's.
    expect(pid1).toContain("docker-init")
    // On cgroup v1 the path names the container; on v2 the lane has its own cgroup namespace ("/").
    const cgroupText = cgroups.join("\n")
    expect(cgroupText.includes(inspect.body.Id) || /^0::\/$/mu.test(cgroupText)).toBe(true)
  })

  it("refuses without a lane and starts nothing on the host either", async () => {
    for (const spy of spies) spy.mockClear()
    const error = await sandbox.run(
      Effect.flip(
        invokeExecTool({ command: ["id"] }, { customerInstanceId: "acme", riskyExecution: "sandbox_only" })
      )
    )
    expect(error).toMatchObject({ _tag: "@bga/core/SandboxError", reason: "sandbox-required" })
    for (const spy of spies) expect(spy).not.toHaveBeenCalled()
  })
})
