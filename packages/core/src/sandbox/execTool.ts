import { Effect, Result, Schema } from "effect"
import type { BgaConfig } from "../config/schema.js"
import { decodeUnknown } from "../contracts/decode.js"
import { BoundedString } from "../contracts/primitives.js"
import type { InvalidInputError } from "../json/JsonError.js"
import type { SandboxDriverShape } from "./SandboxDriver.js"
import { SandboxError } from "./SandboxError.js"
import { type ExecResult, execBounds, type SandboxLane } from "./types.js"

/** Arguments of the `exec` tool as the model sends them. */
export const ExecToolArgs = Schema.Struct({
  /** An argv run as is, or a string run by `/bin/sh -c` inside the lane. */
  command: Schema.Union([
    BoundedString(execBounds.maxArgBytes, 1),
    Schema.Array(BoundedString(execBounds.maxArgBytes)).check(
      Schema.isMinLength(1),
      Schema.isMaxLength(execBounds.maxArgs)
    )
  ]).annotate({ description: "An argv array run as is, or one string run with /bin/sh -c." }),
  stdin: Schema.optionalKey(
    BoundedString(execBounds.maxStdinBytes).annotate({ description: "Text fed to the command's stdin." })
  ),
  timeoutMs: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: execBounds.maxTimeoutMs })).annotate({
      description: "Kill the command after this many milliseconds (default 30000)."
    })
  )
}).annotate({ title: "exec arguments" })
export type ExecToolArgs = typeof ExecToolArgs.Type

/** A lane handed to a risky tool by the runtime, with the driver that owns it. */
export interface SandboxHandle {
  readonly driver: SandboxDriverShape
  readonly lane: SandboxLane
}

/** What the runtime passes to the `exec` tool besides its arguments. */
export interface ExecToolContext {
  readonly customerInstanceId: string
  /** `tools.riskyExecution` for this call; `deny` refuses before anything runs. */
  readonly riskyExecution: BgaConfig["tools"]["riskyExecution"]
  /** The lane to run in. Without one the tool refuses: it has no host fallback. */
  readonly sandbox?: SandboxHandle | undefined
  /** Output cap for this call; the driver's default applies when absent. */
  readonly outputLimitBytes?: number | undefined
}

const toArgv = (command: ExecToolArgs["command"]): ReadonlyArray<string> =>
  typeof command === "string" ? ["/bin/sh", "-c", command] : command

/**
 * Runs one decoded call of the `exec` tool. The only way it executes anything is
 * `sandbox.driver.exec` on a lane of the caller's own customer instance.
 */
const handler = (args: ExecToolArgs, context: ExecToolContext): Effect.Effect<ExecResult, SandboxError> => {
  if (context.riskyExecution !== "sandbox_only")
    return Effect.fail(
      new SandboxError({
        reason: "risky-execution-denied",
        detail: `tools.riskyExecution is "${context.riskyExecution}": exec never runs`
      })
    )
  const sandbox = context.sandbox
  if (sandbox === undefined)
    return Effect.fail(
      new SandboxError({
        reason: "sandbox-required",
        detail: "exec runs only in a sandbox lane and none was provided; it never runs on the host"
      })
    )
  if (sandbox.lane.customerInstanceId !== context.customerInstanceId)
    return Effect.fail(
      new SandboxError({
        reason: "lane-not-found",
        detail: "the lane does not belong to this customer instance",
        laneId: sandbox.lane.laneId
      })
    )
  return sandbox.driver.exec(sandbox.lane, {
    command: toArgv(args.command),
    stdin: args.stdin,
    timeoutMs: args.timeoutMs,
    outputLimitBytes: context.outputLimitBytes
  })
}

const document = Schema.toJsonSchemaDocument(ExecToolArgs, { onExcessProperty: "error" })

/**
 * The `exec` tool (risk class `exec`): runs a command in the caller's sandbox lane and returns
 * its exit code and output. Under `tools.riskyExecution: "sandbox_only"` it can only run in a
 * lane; there is no code path to the host.
 */
export const execTool = {
  name: "exec",
  riskClass: "exec",
  description:
    "Run a command in an isolated sandbox (no network, read-only system, /tmp and /workspace writable). Returns exit code, stdout and stderr.",
  /** JSON Schema of the arguments: what the model sees. */
  parameters: {
    ...document.schema,
    ...(Object.keys(document.definitions).length > 0 ? { $defs: document.definitions } : {})
  } as Readonly<Record<string, unknown>>,
  args: ExecToolArgs,
  handler
} as const

/** The shape of the `exec` tool definition. */
export type ExecTool = typeof execTool

/**
 * Decodes untrusted arguments and runs the tool: bad arguments fail with `InvalidInputError`
 * naming each field, before any lane is touched.
 */
export const invokeExecTool = (
  input: unknown,
  context: ExecToolContext
): Effect.Effect<ExecResult, SandboxError | InvalidInputError> => {
  const decoded = decodeUnknown(ExecToolArgs, "exec arguments")(input)
  return Result.isFailure(decoded) ? Effect.fail(decoded.failure) : handler(decoded.success, context)
}
