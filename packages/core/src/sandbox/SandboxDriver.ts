import { Context, Effect, Result } from "effect"
import { decodeUnknown } from "../contracts/decode.js"
import { SandboxError } from "./SandboxError.js"
import { type ExecRequest, type ExecResult, type LaneInfo, LaneSpec, type SandboxLane } from "./types.js"

/**
 * The port through which risky tools run: isolated lanes (containers or the like) owned by one
 * customer instance, and commands executed inside them. Nothing behind this port may run a
 * command on the host; a driver that cannot isolate refuses instead.
 */
export interface SandboxDriverShape {
  /**
   * Returns the warm lane for this spec (same customer instance, run and settings), creating it
   * when there is none. Concurrent calls for the same spec share one lane.
   */
  readonly acquire: (spec: LaneSpec) => Effect.Effect<SandboxLane, SandboxError>
  /**
   * Runs a command in a lane and describes how it ended: a timeout, a memory kill or a non-zero
   * exit is a result, not an error. Interrupting the effect kills the command and resets the lane.
   */
  readonly exec: (lane: SandboxLane, request: ExecRequest) => Effect.Effect<ExecResult, SandboxError>
  /** Destroys a lane and its workspace. Releasing an unknown lane does nothing. */
  readonly release: (lane: SandboxLane) => Effect.Effect<void, SandboxError>
  /** The live lanes of one customer instance (never another's). */
  readonly list: (customerInstanceId: string) => Effect.Effect<ReadonlyArray<LaneInfo>, SandboxError>
  /** Destroys lanes idle for longer than the driver's idle limit now; returns their ids. */
  readonly reapIdle: Effect.Effect<ReadonlyArray<string>, SandboxError>
}

/** Service key of the sandbox driver. */
export class SandboxDriver extends Context.Service<SandboxDriver, SandboxDriverShape>()(
  "@bga/core/SandboxDriver"
) {}

/** Checks an untrusted lane spec; a bad one is an `invalid-request` naming each field at fault. */
export const decodeLaneSpec = (input: unknown): Result.Result<LaneSpec, SandboxError> =>
  Result.mapError(
    decodeUnknown(LaneSpec, "lane spec")(input),
    (error) => new SandboxError({ reason: "invalid-request", detail: error.message })
  )

/**
 * Runs `use` in a lane that exists only for it: the lane is released when `use` ends, fails or
 * is interrupted (a cancelled run leaves no container behind).
 *
 * @example
 * ```ts
 * const result = yield* withLane({ customerInstanceId: "acme", runId }, (lane) =>
 *   Effect.flatMap(Effect.service(SandboxDriver), (driver) => driver.exec(lane, { command: ["ls"] }))
 * )
 * ```
 */
export const withLane = <A, E, R>(
  spec: LaneSpec,
  use: (lane: SandboxLane, driver: SandboxDriverShape) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | SandboxError, R | SandboxDriver> =>
  Effect.flatMap(Effect.service(SandboxDriver), (driver) =>
    Effect.acquireUseRelease(
      driver.acquire(spec),
      (lane) => use(lane, driver),
      (lane) => Effect.ignore(driver.release(lane))
    )
  )
