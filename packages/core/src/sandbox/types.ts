import { Result, Schema } from "effect"
import { BoundedString, CustomerInstanceId, Id, NonNegativeInt } from "../contracts/primitives.js"
import { SandboxError } from "./SandboxError.js"

/** An OCI image reference (`name[:tag][@sha256:digest]`, optionally with a registry host). */
export const ImageRef = Schema.String.check(
  Schema.isPattern(
    /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?(?::[0-9]{1,5})?(?:\/[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/u,
    { expected: "an image reference such as bga-sandbox:1 or registry.example.com/team/lane@sha256:..." }
  ),
  Schema.isMaxLength(512)
).annotate({ identifier: "ImageRef" })

/**
 * Where a lane's traffic may go. `"none"` (the default) gives it no network at all; a named
 * network must be an internal one (no route out), e.g. the network of an egress proxy.
 */
export const LaneNetwork = Schema.Union([
  Schema.Literal("none"),
  Schema.Struct({
    internal: Schema.String.check(
      Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/u, { expected: "a network name" })
    )
  })
]).annotate({ identifier: "LaneNetwork" })
export type LaneNetwork = typeof LaneNetwork.Type

/** Resource limits of a lane; the driver fills in its defaults for absent keys. */
export const LaneLimits = Schema.Struct({
  /** Most processes and threads alive at once (a fork bomb stops here). */
  pids: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 8, maximum: 32_768 }))),
  /** Memory ceiling in bytes, swap included (a memory bomb is killed here). */
  memoryBytes: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 8 * 1024 * 1024, maximum: 1024 ** 4 }))
  ),
  /** CPU share in cores, e.g. 0.5 or 2. */
  cpus: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0.01, maximum: 256 })))
}).annotate({ identifier: "LaneLimits" })
export type LaneLimits = typeof LaneLimits.Type

/**
 * What a caller asks for when it needs a lane. A lane belongs to exactly one customer instance;
 * with `runId` it is private to that run, otherwise it is shared by the instance's runs.
 */
export const LaneSpec = Schema.Struct({
  customerInstanceId: CustomerInstanceId,
  runId: Schema.optionalKey(Id),
  /** Must be one of the images the driver allows; defaults to the driver's image. */
  image: Schema.optionalKey(ImageRef),
  /** Gives the lane a private writable volume at /workspace that lives as long as the lane. */
  workspace: Schema.optionalKey(Schema.Boolean),
  network: Schema.optionalKey(LaneNetwork),
  limits: Schema.optionalKey(LaneLimits)
}).annotate({ identifier: "LaneSpec" })
export type LaneSpec = typeof LaneSpec.Type

/** The handle of an acquired lane. It names the owner so a driver can refuse a foreign handle. */
export interface SandboxLane {
  readonly laneId: string
  readonly customerInstanceId: string
  readonly runId?: string | undefined
}

/** What a driver reports about a live lane. */
export interface LaneInfo extends SandboxLane {
  readonly image: string
  readonly createdAt: number
  readonly lastUsedAt: number
  readonly busy: boolean
}

/** One piece of output as it streams out of a running command. */
export interface ExecOutputChunk {
  readonly stream: "stdout" | "stderr"
  readonly data: Uint8Array
}

/** A command to run in a lane. The command is an argv: no shell is involved unless asked for. */
export interface ExecRequest {
  readonly command: ReadonlyArray<string>
  /** Bytes fed to the command's stdin, which is then closed. Without it stdin is empty. */
  readonly stdin?: string | Uint8Array | undefined
  /** The command is killed (and the lane reset) when it runs longer than this. */
  readonly timeoutMs?: number | undefined
  /** At most this many bytes of stdout+stderr are kept; the rest is counted and dropped. */
  readonly outputLimitBytes?: number | undefined
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Absolute working directory inside the lane. */
  readonly workdir?: string | undefined
  /** Receives output as it arrives, up to the output limit. */
  readonly onOutput?: ((chunk: ExecOutputChunk) => void) | undefined
}

/** Bounds every driver applies to an exec request. */
export const execBounds = {
  defaultTimeoutMs: 30_000,
  maxTimeoutMs: 600_000,
  defaultOutputLimitBytes: 1024 * 1024,
  maxOutputLimitBytes: 16 * 1024 * 1024,
  maxStdinBytes: 1024 * 1024,
  maxArgs: 1024,
  maxArgBytes: 128 * 1024,
  maxEnv: 64
} as const

/** An exec request with every default filled in and every bound checked. */
export interface NormalizedExecRequest {
  readonly command: ReadonlyArray<string>
  readonly stdin: Uint8Array | undefined
  readonly timeoutMs: number
  readonly outputLimitBytes: number
  readonly env: ReadonlyArray<string>
  readonly workdir: string | undefined
  readonly onOutput: ((chunk: ExecOutputChunk) => void) | undefined
}

const envName = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/u

/**
 * Checks an exec request and fills in defaults. Plain and synchronous so every driver (and the
 * exec tool) refuses the same bad input the same way, before anything reaches an engine.
 */
export const normalizeExecRequest = (
  request: ExecRequest
): Result.Result<NormalizedExecRequest, SandboxError> => {
  const problems: Array<string> = []
  const { command } = request
  if (!Array.isArray(command) || command.length === 0) problems.push("command must be a non-empty argv")
  else {
    if (command.length > execBounds.maxArgs) problems.push(`command has more than ${execBounds.maxArgs} args`)
    let bytes = 0
    command.forEach((arg, i) => {
      if (typeof arg !== "string") problems.push(`command[${i}] is not a string`)
      else {
        if (arg.includes("\u0000")) problems.push(`command[${i}] contains a NUL character`)
        bytes += Buffer.byteLength(arg)
      }
    })
    if (command[0] === "") problems.push("command[0] is empty")
    if (bytes > execBounds.maxArgBytes)
      problems.push(`command is longer than ${execBounds.maxArgBytes} bytes`)
  }
  const timeoutMs = request.timeoutMs ?? execBounds.defaultTimeoutMs
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > execBounds.maxTimeoutMs)
    problems.push(`timeoutMs must be an integer from 1 to ${execBounds.maxTimeoutMs} (got ${timeoutMs})`)
  const outputLimitBytes = request.outputLimitBytes ?? execBounds.defaultOutputLimitBytes
  if (
    !Number.isInteger(outputLimitBytes) ||
    outputLimitBytes < 0 ||
    outputLimitBytes > execBounds.maxOutputLimitBytes
  )
    problems.push(
      `outputLimitBytes must be an integer from 0 to ${execBounds.maxOutputLimitBytes} (got ${outputLimitBytes})`
    )
  const stdin = typeof request.stdin === "string" ? new TextEncoder().encode(request.stdin) : request.stdin
  if (stdin !== undefined && stdin.byteLength > execBounds.maxStdinBytes)
    problems.push(`stdin is larger than ${execBounds.maxStdinBytes} bytes`)
  const entries = Object.entries(request.env ?? {})
  if (entries.length > execBounds.maxEnv) problems.push(`env has more than ${execBounds.maxEnv} variables`)
  for (const [name, value] of entries) {
    if (!envName.test(name)) problems.push(`env name ${JSON.stringify(name.slice(0, 64))} is not valid`)
    if (typeof value !== "string" || value.includes("\u0000"))
      problems.push(`env ${name.slice(0, 64)} must be a string without NUL`)
  }
  const { workdir } = request
  if (
    workdir !== undefined &&
    (!workdir.startsWith("/") || workdir.includes("\u0000") || workdir.length > 4096)
  )
    problems.push("workdir must be an absolute path")
  if (problems.length > 0)
    return Result.fail(new SandboxError({ reason: "invalid-request", detail: problems.join("; ") }))
  return Result.succeed({
    command,
    stdin,
    timeoutMs,
    outputLimitBytes,
    env: entries.map(([name, value]) => `${name}=${value}`),
    workdir,
    onOutput: request.onOutput
  })
}

/** How a command ended. */
export const ExecStatus = Schema.Literals(["exited", "timed_out", "oom_killed"]).annotate({
  description:
    "exited: the command ended by itself (see exitCode); timed_out: it outlived its timeout and was killed; oom_killed: the kernel killed it at the lane's memory limit."
})
export type ExecStatus = typeof ExecStatus.Type

/** The outcome of one command in a lane: a value, whatever the command did. */
export const ExecResult = Schema.Struct({
  laneId: BoundedString(128, 1),
  status: ExecStatus,
  /** The command's exit code; null when the driver killed it (timeout). */
  exitCode: Schema.NullOr(Schema.Int),
  stdout: Schema.String,
  stderr: Schema.String,
  /** Bytes the command wrote to each stream, including what the output limit dropped. */
  stdoutBytes: NonNegativeInt,
  stderrBytes: NonNegativeInt,
  /** True when output went past the limit and was cut. */
  truncated: Schema.Boolean,
  durationMs: NonNegativeInt
}).annotate({ identifier: "ExecResult" })
export type ExecResult = typeof ExecResult.Type
