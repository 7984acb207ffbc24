import { SandboxDriver, type SandboxDriverShape, type SandboxError } from "@bga/core/sandbox"
import { Effect, Layer, type Scope } from "effect"
import { toSandboxError } from "./internal/errors.js"
import { DockerLanes } from "./internal/lanes.js"
import { type DockerSandboxOptions, resolveOptions } from "./internal/options.js"

/**
 * Bridges the Promise internals to Effect: interruption aborts the operation and waits for its
 * cleanup (a killed command's lane reset, a half-created container's removal) before it ends.
 */
const abortable = <A>(
  run: (signal: AbortSignal) => Promise<A>,
  /** Gives back a value that arrived after the interruption, which nobody will receive. */
  giveBack?: (value: A) => Promise<void>
): Effect.Effect<A, SandboxError> =>
  Effect.callback<A, SandboxError>((resume) => {
    const controller = new AbortController()
    const promise = run(controller.signal)
    promise.then(
      (value) => resume(Effect.succeed(value)),
      (error: unknown) => resume(Effect.fail(toSandboxError(error)))
    )
    return Effect.promise(() => {
      controller.abort()
      return promise.then(
        (value) => giveBack?.(value).catch(() => undefined),
        () => undefined
      )
    })
  })

const shapeOf = (lanes: DockerLanes): SandboxDriverShape => ({
  acquire: (spec) =>
    abortable(
      (signal) => lanes.acquire(spec, signal),
      (lane) => lanes.abandon(lane)
    ),
  exec: (lane, request) => abortable((signal) => lanes.exec(lane, request, signal)),
  release: (lane) => abortable(() => lanes.release(lane)),
  list: (customerInstanceId) => Effect.sync(() => lanes.list(customerInstanceId)),
  reapIdle: abortable(() => lanes.reapIdle())
})

/**
 * Starts a Docker sandbox driver in the current scope: connects to the engine, refuses an engine
 * that cannot enforce limits, removes orphaned lanes of its scope, and destroys its own lanes
 * when the scope closes.
 */
export const make = (
  options: DockerSandboxOptions
): Effect.Effect<SandboxDriverShape, SandboxError, Scope.Scope> =>
  Effect.gen(function* () {
    const resolved = yield* Effect.try({
      try: () => resolveOptions(options),
      catch: (e) => toSandboxError(e)
    })
    const lanes = yield* Effect.acquireRelease(
      abortable((signal) => DockerLanes.open(resolved, signal)),
      (opened) => Effect.promise(() => opened.close())
    )
    return shapeOf(lanes)
  })

/**
 * The `SandboxDriver` on a Docker engine.
 *
 * @example
 * ```ts
 * import { DockerSandbox } from "@bga/sandbox-docker"
 * const SandboxLive = DockerSandbox.layer({ image: "bga-sandbox:1" })
 * ```
 */
export const layer = (options: DockerSandboxOptions): Layer.Layer<SandboxDriver, SandboxError> =>
  Layer.effect(SandboxDriver, make(options))
