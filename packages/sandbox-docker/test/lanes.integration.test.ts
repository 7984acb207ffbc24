import { hostname } from "node:os"
import { newId } from "@bga/core"
import { type SandboxClient, SandboxError, type SandboxLane, withLane } from "@bga/core/sandbox"
import { Effect, Exit, Fiber } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import type { EngineClient } from "../src/internal/engine.js"
import type { DockerSandboxEvent } from "../src/internal/options.js"
import {
  describeWithEngine,
  laneContainers,
  openDriver,
  openEffectDriver,
  processesOf,
  scopeContainers,
  testImage
} from "./support/engine.js"

const rejection = async (promise: Promise<unknown>): Promise<SandboxError> => {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(SandboxError)
    return error as SandboxError
  }
  throw new Error("expected a rejection")
}

describeWithEngine("lanes", (engine: EngineClient) => {
  const scope = "test-lanes"
  let sandbox: SandboxClient

  beforeAll(async () => {
    sandbox = await openDriver(scope)
  })

  afterAll(async () => {
    await sandbox?.close()
    // Closing the driver destroys every lane it made.
    expect(await scopeContainers(engine, scope)).toEqual([])
  })

  it("are hardened containers owned by one customer instance", async () => {
    const runId = newId()
    const lane = await sandbox.acquire({ customerInstanceId: "acme", runId })
    const [container] = await laneContainers(engine, lane.laneId)
    const { body } = await engine.call<{
      Config: { User: string; Labels: Record<string, string> }
      HostConfig: Record<string, unknown>
    }>("GET", `/containers/${container?.Id}/json`)
    expect(body.Config.User).toBe("65534:65534")
    expect(body.Config.Labels).toMatchObject({
      "dev.bga.driver": "sandbox-docker",
      "dev.bga.scope": scope,
      "dev.bga.lane": lane.laneId,
      "dev.bga.customer-instance": "acme",
      "dev.bga.run": runId
    })
    expect(body.HostConfig).toMatchObject({
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges:true"],
      Privileged: false,
      Init: true,
      PidsLimit: 64,
      Memory: 64 * 1024 * 1024,
      MemorySwap: 64 * 1024 * 1024,
      NanoCpus: 1e9,
      PublishAllPorts: false
    })
    expect(body.HostConfig.Binds ?? []).toEqual([])
    expect(Object.keys(body.HostConfig.Tmpfs as object)).toEqual(["/tmp"])
    await sandbox.release(lane)
  })

  it("are shared by equal specs, even when asked for concurrently, and separate otherwise", async () => {
    const runId = newId()
    const [a, b, c] = await Promise.all([
      sandbox.acquire({ customerInstanceId: "acme", runId }),
      sandbox.acquire({ customerInstanceId: "acme", runId }),
      sandbox.acquire({ customerInstanceId: "acme", runId })
    ])
    expect(b?.laneId).toBe(a?.laneId)
    expect(c?.laneId).toBe(a?.laneId)
    expect(await laneContainers(engine, a!.laneId)).toHaveLength(1)
    const otherRun = await sandbox.acquire({ customerInstanceId: "acme", runId: newId() })
    const otherInstance = await sandbox.acquire({ customerInstanceId: "globex", runId })
    expect(new Set([a!.laneId, otherRun.laneId, otherInstance.laneId]).size).toBe(3)
    for (const lane of [a!, otherRun, otherInstance]) await sandbox.release(lane)
  })

  it("refuse handles of another customer instance, as if the lane did not exist", async () => {
    const lane = await sandbox.acquire({ customerInstanceId: "acme" })
    const forged: SandboxLane = { laneId: lane.laneId, customerInstanceId: "globex" }
    const error = await rejection(sandbox.exec(forged, { command: ["id"] }))
    expect(error.reason).toBe("lane-not-found")
    expect((await sandbox.list("globex")).map((l) => l.laneId)).not.toContain(lane.laneId)
    expect((await sandbox.list("acme")).map((l) => l.laneId)).toContain(lane.laneId)
    // Releasing through a forged handle leaves the lane alone.
    await sandbox.release(forged)
    expect(await laneContainers(engine, lane.laneId)).toHaveLength(1)
  })

  it("run argv commands with stdin, separate streams and the exit code", async () => {
    const lane = await sandbox.acquire({ customerInstanceId: "acme" })
    const chunks: Array<string> = []
    const result = await sandbox.exec(lane, {
      command: ["sh", "-c", 'read -r line; echo "got $line"; echo oops >&2; exit 7'],
      stdin: "hello from stdin\n",
      env: { GREETING: "hi" },
      onOutput: (chunk) => chunks.push(`${chunk.stream}:${Buffer.from(chunk.data).toString()}`)
    })
    expect(result).toMatchObject({
      status: "exited",
      exitCode: 7,
      stdout: "got hello from stdin\n",
      stderr: "oops\n",
      truncated: false
    })
    expect(chunks.join("")).toContain("stdout:got hello from stdin")
    expect(chunks.join("")).toContain("stderr:oops")
    const env = await sandbox.exec(lane, {
      command: ["sh", "-c", 'echo "$GREETING"'],
      env: { GREETING: "hi" }
    })
    expect(env.stdout).toBe("hi\n")
  })

  it("cap output while it streams and say so", async () => {
    const lane = await sandbox.acquire({ customerInstanceId: "acme" })
    const result = await sandbox.exec(lane, {
      command: ["sh", "-c", "yes 0123456789 | head -c 1000000"],
      outputLimitBytes: 1000
    })
    expect(result.status).toBe("exited")
    expect(result.truncated).toBe(true)
    expect(result.stdout).toHaveLength(1000)
    expect(result.stdoutBytes).toBe(1_000_000)
  })

  it("refuse bad requests before they reach the engine", async () => {
    const lane = await sandbox.acquire({ customerInstanceId: "acme" })
    expect((await rejection(sandbox.exec(lane, { command: [] }))).reason).toBe("invalid-request")
    expect((await rejection(sandbox.acquire({ customerInstanceId: "ACME!" }))).reason).toBe("invalid-request")
  })

  it("run only allowed images and only on internal networks", async () => {
    expect((await rejection(sandbox.acquire({ customerInstanceId: "acme", image: "alpine:3" }))).reason).toBe(
      "image-not-allowed"
    )
    for (const network of ["host", "bridge", "no-such-network"]) {
      const error = await rejection(
        sandbox.acquire({ customerInstanceId: "acme", network: { internal: network } })
      )
      expect(error.reason).toBe("network-not-allowed")
    }
  })

  it("keep a private workspace volume for their lifetime", async () => {
    const lane = await sandbox.acquire({ customerInstanceId: "acme", runId: newId(), workspace: true })
    await sandbox.exec(lane, { command: ["sh", "-c", "echo kept > /workspace/note"] })
    const read = await sandbox.exec(lane, { command: ["cat", "/workspace/note"] })
    expect(read.stdout).toBe("kept\n")
    const volume = `bga-ws-${lane.laneId}`
    expect((await engine.call("GET", `/volumes/${volume}`, { accept: [404] })).status).toBe(200)
    await sandbox.release(lane)
    expect((await engine.call("GET", `/volumes/${volume}`, { accept: [404] })).status).toBe(404)
    expect(await laneContainers(engine, lane.laneId)).toEqual([])
  })

  it("come back when their container was removed behind the driver's back", async () => {
    const lane = await sandbox.acquire({ customerInstanceId: "acme", runId: newId() })
    const [container] = await laneContainers(engine, lane.laneId)
    await engine.call("DELETE", `/containers/${container?.Id}?force=true`)
    const result = await sandbox.exec(lane, { command: ["echo", "back"] })
    expect(result.stdout).toBe("back\n")
    await sandbox.release(lane)
  })

  it("are never used by a closed driver", async () => {
    const other = await openDriver("test-lanes-closed")
    const lane = await other.acquire({ customerInstanceId: "acme" })
    await other.close()
    expect(await scopeContainers(engine, "test-lanes-closed")).toEqual([])
    expect((await rejection(other.exec(lane, { command: ["id"] }))).reason).toBe("closed")
  })
})

describeWithEngine("idle lanes", (engine: EngineClient) => {
  it("are reaped after the idle timeout, and busy ones are not", async () => {
    const events: Array<DockerSandboxEvent> = []
    const sandbox = await openDriver("test-idle", {
      idleTimeoutMs: 400,
      reapIntervalMs: 100,
      onEvent: (event) => events.push(event)
    })
    try {
      const idle = await sandbox.acquire({ customerInstanceId: "acme", runId: newId() })
      const busy = await sandbox.acquire({ customerInstanceId: "acme", runId: newId() })
      const running = sandbox.exec(busy, { command: ["sleep", "1.5"] })
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      expect(await laneContainers(engine, idle.laneId)).toEqual([])
      expect(await laneContainers(engine, busy.laneId)).toHaveLength(1)
      expect((await running).exitCode).toBe(0)
      expect(events).toContainEqual({ type: "lane-removed", laneId: idle.laneId, reason: "idle" })
    } finally {
      await sandbox.close()
    }
  })
})

describeWithEngine("cancellation", (engine: EngineClient) => {
  const scope = "test-cancel"
  let sandbox: Awaited<ReturnType<typeof openEffectDriver>>

  beforeAll(async () => {
    sandbox = await openEffectDriver(scope)
  })

  afterAll(async () => {
    await sandbox?.close()
  })

  it("of a running command kills it and resets the lane", async () => {
    const lane = await sandbox.run(sandbox.driver.acquire({ customerInstanceId: "acme" }))
    const [container] = await laneContainers(engine, lane.laneId)
    await sandbox.run(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(sandbox.driver.exec(lane, { command: ["sleep", "60"] }))
        yield* Effect.sleep("500 millis")
        yield* Fiber.interrupt(fiber)
      })
    )
    // Interruption returned only after the reset: nothing of the command is left.
    expect((await processesOf(engine, container!.Id)).join("\n")).not.toContain("sleep 60")
    const after = await sandbox.run(sandbox.driver.exec(lane, { command: ["echo", "ok"] }))
    expect(after.stdout).toBe("ok\n")
  })

  it("of a Promise exec through an AbortSignal rejects with cancelled", async () => {
    const client = await openDriver("test-cancel-promise")
    try {
      const lane = await client.acquire({ customerInstanceId: "acme" })
      const controller = new AbortController()
      setTimeout(() => controller.abort(), 300)
      const error = await rejection(
        client.exec(lane, { command: ["sleep", "60"] }, { signal: controller.signal })
      )
      expect(error.reason).toBe("cancelled")
    } finally {
      await client.close()
    }
  })

  it("of a run removes its lane (withLane)", async () => {
    const runId = newId()
    let laneId = ""
    await sandbox.run(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(
          withLane({ customerInstanceId: "acme", runId }, (lane, driver) => {
            laneId = lane.laneId
            return driver.exec(lane, { command: ["sleep", "60"] })
          })
        )
        yield* Effect.sleep("1 second")
        yield* Fiber.interrupt(fiber)
      })
    )
    expect(laneId).not.toBe("")
    expect(await laneContainers(engine, laneId)).toEqual([])
  })

  it("of an acquire, at any point of the lane's creation, leaves no container behind", async () => {
    let interrupted = 0
    for (const delay of [2, 15, 30, 45, 60]) {
      const runId = newId()
      const exit = await sandbox.run(
        Effect.gen(function* () {
          const fiber = yield* Effect.forkChild(
            sandbox.driver.acquire({ customerInstanceId: "acme", runId, workspace: true })
          )
          yield* Effect.sleep(delay)
          yield* Fiber.interrupt(fiber)
          return yield* Fiber.await(fiber)
        })
      )
      // Creation may have won the race; then the lane is the caller's to release.
      if (Exit.isSuccess(exit)) {
        await sandbox.run(sandbox.driver.release(exit.value))
        continue
      }
      interrupted++
      const leftovers = (await scopeContainers(engine, scope)).filter(
        (c) => c.Labels["dev.bga.run"] === runId
      )
      expect(leftovers).toEqual([])
      expect((await sandbox.run(sandbox.driver.list("acme"))).map((l) => l.runId)).not.toContain(runId)
    }
    expect(interrupted).toBeGreaterThan(0)
  })
})

describeWithEngine("orphaned lanes", (engine: EngineClient) => {
  const scope = "test-orphans"

  const plant = async (labels: Record<string, string>) => {
    const created = await engine.call<{ Id: string }>("POST", "/containers/create", {
      body: {
        Image: testImage,
        Entrypoint: ["sleep", "300"],
        NetworkDisabled: true,
        Labels: {
          "dev.bga.driver": "sandbox-docker",
          "dev.bga.scope": scope,
          "dev.bga.lane": newId(),
          ...labels
        },
        HostConfig: { NetworkMode: "none", ReadonlyRootfs: true, CapDrop: ["ALL"] }
      }
    })
    return created.body.Id
  }

  it("are removed at start when their owner is gone, and kept while it lives", async () => {
    const host = hostname()
    const deadOwner = await plant({
      "dev.bga.owner": newId(),
      "dev.bga.owner-host": host,
      "dev.bga.owner-pid": "2147483646"
    })
    const liveOwner = await plant({
      "dev.bga.owner": newId(),
      "dev.bga.owner-host": host,
      "dev.bga.owner-pid": String(process.pid)
    })
    const elsewhere = await plant({
      "dev.bga.owner": newId(),
      "dev.bga.owner-host": "another-host",
      "dev.bga.owner-pid": "1"
    })
    const events: Array<DockerSandboxEvent> = []
    const sandbox = await openDriver(scope, { orphans: "dead-owner", onEvent: (event) => events.push(event) })
    try {
      const left = (await scopeContainers(engine, scope)).map((c) => c.Id)
      expect(left).not.toContain(deadOwner)
      expect(left).toContain(liveOwner)
      expect(left).toContain(elsewhere)
      expect(events.filter((e) => e.type === "orphan-removed")).toHaveLength(1)
    } finally {
      await sandbox.close()
      for (const id of [liveOwner, elsewhere]) await engine.call("DELETE", `/containers/${id}?force=true`)
    }
  })
})
