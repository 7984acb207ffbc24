import { Cause, Effect, Exit, type Layer, ManagedRuntime, Result } from "effect"
import { SandboxDriver } from "./SandboxDriver.js"
import { SandboxError } from "./SandboxError.js"
import type { ExecRequest, ExecResult, LaneInfo, LaneSpec, SandboxLane } from "./types.js"

/**
 * The sandbox driver for code that does not use Effect. Every method rejects with a
 * `SandboxError`; an aborted `signal` kills the command, resets the lane and rejects with
 * reason `cancelled`.
 */
export interface SandboxClient {
  readonly acquire: (spec: LaneSpec) => Promise<SandboxLane>
  readonly exec: (
    lane: SandboxLane,
    request: ExecRequest,
    options?: { readonly signal?: AbortSignal }
  ) => Promise<ExecResult>
  readonly release: (lane: SandboxLane) => Promise<void>
  readonly list: (customerInstanceId: string) => Promise<ReadonlyArray<LaneInfo>>
  readonly reapIdle: () => Promise<ReadonlyArray<string>>
  /** Shuts the driver down and destroys the lanes it created. */
  readonly close: () => Promise<void>
}

const settle = async <A>(exit: Promise<Exit.Exit<A, unknown>>): Promise<A> => {
  const done = await exit
  if (Exit.isSuccess(done)) return done.value
  const failure = Cause.findError(done.cause)
  if (Result.isSuccess(failure)) throw failure.success
  if (Cause.hasInterruptsOnly(done.cause))
    throw new SandboxError({ reason: "cancelled", detail: "the operation was cancelled" })
  throw Cause.squash(done.cause)
}

/**
 * Starts a sandbox driver from its Layer (for example `DockerSandbox.layer(...)` from
 * `@bga/sandbox-docker`) and returns its Promise API.
 *
 * @example
 * ```ts
 * const sandbox = await openSandbox(DockerSandbox.layer({ image: "bga-sandbox:1" }))
 * const lane = await sandbox.acquire({ customerInstanceId: "acme" })
 * const result = await sandbox.exec(lane, { command: ["uname", "-a"], timeoutMs: 5_000 })
 * await sandbox.close()
 * ```
 */
export const openSandbox = async (
  layer: Layer.Layer<SandboxDriver, SandboxError>
): Promise<SandboxClient> => {
  const runtime = ManagedRuntime.make(layer)
  const driver = await settle(runtime.runPromiseExit(Effect.service(SandboxDriver)))
  let closed = false
  const run = <A>(effect: Effect.Effect<A, SandboxError>, signal?: AbortSignal): Promise<A> =>
    closed
      ? Promise.reject(new SandboxError({ reason: "closed", detail: "the sandbox client was closed" }))
      : settle(runtime.runPromiseExit(effect, signal === undefined ? undefined : { signal }))
  return {
    acquire: (spec) => run(driver.acquire(spec)),
    exec: (lane, request, options) => run(driver.exec(lane, request), options?.signal),
    release: (lane) => run(driver.release(lane)),
    list: (customerInstanceId) => run(driver.list(customerInstanceId)),
    reapIdle: () => run(driver.reapIdle),
    close: () => {
      closed = true
      return runtime.dispose()
    }
  }
}
