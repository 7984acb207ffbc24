import { openSandbox, type SandboxClient, SandboxDriver } from "@bga/core/sandbox"
import { Effect, ManagedRuntime } from "effect"
import { afterAll, describe, it } from "vitest"
import { layer } from "../../src/DockerSandbox.js"
import { EngineClient, filtersQuery } from "../../src/internal/engine.js"
import { type DockerSandboxOptions, defaultSocketPath } from "../../src/internal/options.js"

/** The image the integration tests run; `.ci/provision/docker.sh` builds it. */
export const testImage = process.env.BGA_SANDBOX_TEST_IMAGE ?? "bga-sandbox-test:1"

type Probe =
  | {
      readonly ok: true
      readonly engine: EngineClient
      readonly limits: { readonly pids: boolean; readonly memory: boolean }
    }
  | { readonly ok: false; readonly reason: string }

const probeEngine = async (): Promise<Probe> => {
  const socketPath = defaultSocketPath()
  let engine: EngineClient
  try {
    engine = await EngineClient.connect(socketPath)
  } catch (error) {
    return { ok: false, reason: (error as Error).message }
  }
  const image = await engine.call("GET", `/images/${encodeURIComponent(testImage)}/json`, { accept: [404] })
  if (image.status === 404) {
    await engine.close()
    return {
      ok: false,
      reason: `test image ${testImage} is missing; run bash packages/sandbox-docker/images/build-test-image.sh`
    }
  }
  const info = await engine.call<{ PidsLimit?: boolean; MemoryLimit?: boolean }>("GET", "/info")
  return {
    ok: true,
    engine,
    limits: { pids: info.body.PidsLimit === true, memory: info.body.MemoryLimit === true }
  }
}

/** Whether (and why not) the Docker engine is usable here; probed once per test file. */
export const probe = await probeEngine()

if (!probe.ok) console.warn(`[sandbox-docker] integration tests skipped: ${probe.reason}`)
else if (!probe.limits.pids || !probe.limits.memory)
  console.warn(
    "[sandbox-docker] the engine reports it CANNOT enforce pids/memory limits on this machine; the driver refuses to start and the abuse tests fail"
  )

let closing = false

/**
 * A describe block that needs the engine. Without one it shows one skipped test naming why, or
 * fails when `BGA_TEST_REQUIRE` says the engine must be there.
 */
export const describeWithEngine = (name: string, body: (engine: EngineClient) => void) => {
  if (probe.ok) {
    const { engine } = probe
    describe(name, () => body(engine))
    if (!closing) {
      closing = true
      afterAll(() => engine.close())
    }
    return
  }
  const reason = probe.reason
  describe(name, () => {
    it("needs a Docker engine", (ctx) => {
      if (process.env.BGA_TEST_REQUIRE) throw new Error(`BGA_TEST_REQUIRE is set but ${reason}`)
      ctx.skip(reason)
    })
  })
}

/** Options every test driver shares: the test image and a scope private to the test file. */
export const testOptions = (
  scope: string,
  extra: Partial<DockerSandboxOptions> = {}
): DockerSandboxOptions => ({
  image: testImage,
  scope,
  orphans: "all-in-scope",
  limits: { pids: 64, memoryBytes: 64 * 1024 * 1024, cpus: 1 },
  ...extra
})

/** Opens a driver through its Promise API. */
export const openDriver = (scope: string, extra?: Partial<DockerSandboxOptions>): Promise<SandboxClient> =>
  openSandbox(layer(testOptions(scope, extra)))

/** The engine's record of a lane's container (found by label, not through the driver). */
export const laneContainers = async (engine: EngineClient, laneId: string) =>
  (
    await engine.call<ReadonlyArray<{ Id: string; State: string; Labels: Record<string, string> }>>(
      "GET",
      `/containers/json?all=true&${filtersQuery({ label: [`dev.bga.lane=${laneId}`] })}`
    )
  ).body

/** Everything of one test scope still on the engine. */
export const scopeContainers = async (engine: EngineClient, scope: string) =>
  (
    await engine.call<ReadonlyArray<{ Id: string; State: string; Labels: Record<string, string> }>>(
      "GET",
      `/containers/json?all=true&${filtersQuery({ label: ["dev.bga.driver=sandbox-docker", `dev.bga.scope=${scope}`] })}`
    )
  ).body

/** Processes running in a container, as the engine lists them (host view, no exec). */
export const processesOf = async (
  engine: EngineClient,
  containerId: string
): Promise<ReadonlyArray<string>> => {
  const { body } = await engine.call<{ Processes?: ReadonlyArray<ReadonlyArray<string>> }>(
    "GET",
    `/containers/${containerId}/top?ps_args=${encodeURIComponent("-o pid,args")}`
  )
  return (body.Processes ?? []).map((row) => row.join(" "))
}

/** A driver for Effect-style tests: the service shape plus a runner bound to its runtime. */
export const openEffectDriver = async (scope: string, extra?: Partial<DockerSandboxOptions>) => {
  const runtime = ManagedRuntime.make(layer(testOptions(scope, extra)))
  const driver = await runtime.runPromise(Effect.service(SandboxDriver))
  return {
    driver,
    run: <A, E>(effect: Effect.Effect<A, E, SandboxDriver>) => runtime.runPromise(effect),
    runExit: <A, E>(effect: Effect.Effect<A, E, SandboxDriver>) => runtime.runPromiseExit(effect),
    close: () => runtime.dispose()
  }
}
