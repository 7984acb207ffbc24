/**
 * Sandbox lanes for risky tools: the `SandboxDriver` port, its request and result types, typed
 * errors, the `exec` tool, and a Promise client. Drivers live in their own packages
 * (`@bga/sandbox-docker`); core never runs a risky command itself.
 *
 * @example
 * ```ts
 * import { Sandbox } from "@bga/core"
 * const program = Sandbox.withLane({ customerInstanceId: "acme", runId }, (lane, driver) =>
 *   driver.exec(lane, { command: ["sh", "-c", "echo hi"], timeoutMs: 5_000 })
 * )
 * ```
 *
 * @module
 */
export {
  type ExecTool,
  ExecToolArgs,
  type ExecToolContext,
  execTool,
  invokeExecTool,
  type SandboxHandle
} from "./execTool.js"
export { openSandbox, type SandboxClient } from "./promise.js"
export { decodeLaneSpec, SandboxDriver, type SandboxDriverShape, withLane } from "./SandboxDriver.js"
export { isSandboxError, SandboxError, SandboxErrorReason } from "./SandboxError.js"
export {
  type ExecOutputChunk,
  type ExecRequest,
  ExecResult,
  ExecStatus,
  execBounds,
  ImageRef,
  type LaneInfo,
  LaneLimits,
  LaneNetwork,
  LaneSpec,
  type NormalizedExecRequest,
  normalizeExecRequest,
  type SandboxLane
} from "./types.js"
