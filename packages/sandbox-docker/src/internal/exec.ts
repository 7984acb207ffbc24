import type { Duplex } from "node:stream"
import { type ExecResult, type NormalizedExecRequest, SandboxError } from "@bga/core/sandbox"
import { FrameDemuxer, OutputCollector } from "./demux.js"
import { type EngineClient, EngineError } from "./engine.js"
import type { OomWatch } from "./oomWatch.js"

/** The lane an exec runs in, and how to reset it when a command has to be killed. */
export interface ExecTarget {
  readonly engine: EngineClient
  readonly laneId: string
  readonly containerId: string
  readonly user: string
  readonly oom: OomWatch
  readonly oomGraceMs: number
  /** Kills every process of the lane (the engine offers no way to kill one exec). */
  readonly reset: (reason: "timeout" | "cancelled") => Promise<void>
  /** True once the lane was released while the command ran. */
  readonly released: () => boolean
}

type Ending = "eof" | "timeout" | "cancelled" | "error"

const exitPollMs = 10
const exitPollTries = 200

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits for the engine to record the exit code; the stream can close a moment before it does. */
const exitCodeOf = async (engine: EngineClient, execId: string): Promise<number | null | undefined> => {
  for (let attempt = 0; attempt < exitPollTries; attempt++) {
    const { body } = await engine.call<{ Running?: boolean; ExitCode?: number | null }>(
      "GET",
      `/exec/${execId}/json`
    )
    if (body.Running === false) return body.ExitCode ?? null
    await sleep(exitPollMs)
  }
  return undefined
}

/**
 * Runs one command in a lane: output is demultiplexed and capped while it streams, a command
 * past its timeout is killed by resetting the lane, and the exit is classified (exited,
 * timed out, killed at the memory limit).
 */
export const runExec = async (
  target: ExecTarget,
  request: NormalizedExecRequest,
  signal?: AbortSignal
): Promise<ExecResult> => {
  const { engine, containerId, laneId } = target
  signal?.throwIfAborted()
  const started = performance.now()
  const created = await engine.call<{ Id: string }>("POST", `/containers/${containerId}/exec`, {
    body: {
      Cmd: [...request.command],
      Env: [...request.env],
      User: target.user,
      Privileged: false,
      Tty: false,
      AttachStdin: request.stdin !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      ...(request.workdir === undefined ? {} : { WorkingDir: request.workdir })
    },
    signal
  })
  const execId = created.body.Id
  const oomBefore = target.oom.count(containerId)
  const onOutput = request.onOutput
  const collector = new OutputCollector(
    request.outputLimitBytes,
    onOutput === undefined
      ? undefined
      : (stream, data) => {
          try {
            onOutput({ stream, data })
          } catch {
            // A failing listener must not take the command down with it.
          }
        }
  )
  const demux = new FrameDemuxer((kind, data) => collector.add(kind, data))
  // No signal here: once the engine has the start request the command may be running, and only
  // a lane reset (below) can stop it.
  let socket: Duplex
  try {
    socket = await engine.hijack(`/exec/${execId}/start`, { Detach: false, Tty: false })
  } catch (error) {
    // A refusal (404, 409) means nothing started, and the caller may retry. Anything else leaves
    // the command's state unknown: reset the lane so nothing keeps running unobserved.
    if (error instanceof EngineError && error.kind === "status") throw error
    await target.reset("cancelled").catch(() => undefined)
    throw new SandboxError({
      reason: "engine-error",
      detail: `starting the command failed: ${error instanceof Error ? error.message : String(error)}`,
      laneId,
      cause: error
    })
  }
  try {
    return await awaitEnd(target, request, { execId, socket, collector, demux, started, oomBefore }, signal)
  } catch (error) {
    // From here on the command has run: an engine failure must not look retryable.
    if (error instanceof SandboxError) throw error
    throw new SandboxError({
      reason: "engine-error",
      detail: `after the command started: ${error instanceof Error ? error.message : String(error)}`,
      laneId,
      cause: error
    })
  }
}

/** A started exec: its stream and what reads it. */
interface Attached {
  readonly execId: string
  readonly socket: Duplex
  readonly collector: OutputCollector
  readonly demux: FrameDemuxer
  readonly started: number
  /** The lane's OOM kill count before the command, to tell a memory kill from any SIGKILL. */
  readonly oomBefore: number
}

/** Waits for the command's end (or its timeout or cancellation) and classifies it. */
const awaitEnd = async (
  target: ExecTarget,
  request: NormalizedExecRequest,
  { execId, socket, collector, demux, started, oomBefore }: Attached,
  signal: AbortSignal | undefined
): Promise<ExecResult> => {
  const { engine, containerId, laneId } = target
  let failure: unknown
  const ending = await new Promise<Ending>((resolve) => {
    let settled = false
    const finish = (how: Ending) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener("abort", onAbort)
      resolve(how)
    }
    const onAbort = () => finish("cancelled")
    const timer = setTimeout(() => finish("timeout"), request.timeoutMs)
    if (signal?.aborted) finish("cancelled")
    signal?.addEventListener("abort", onAbort, { once: true })
    socket.on("data", (chunk: Buffer) => {
      try {
        demux.push(chunk)
      } catch (error) {
        failure = error
        finish("error")
      }
    })
    socket.on("end", () => finish("eof"))
    socket.on("close", () => finish("eof"))
    socket.on("error", (error) => {
      failure = error
      finish("error")
    })
    if (request.stdin !== undefined) {
      socket.write(request.stdin)
      // Half-close: the command sees end of input while its output keeps flowing back.
      socket.end()
    }
  })
  const durationMs = () => Math.round(performance.now() - started)
  const result = (status: ExecResult["status"], exitCode: number | null): ExecResult => ({
    laneId,
    status,
    exitCode,
    stdout: collector.text("stdout"),
    stderr: collector.text("stderr"),
    stdoutBytes: collector.seen.stdout,
    stderrBytes: collector.seen.stderr,
    truncated: collector.truncated,
    durationMs: durationMs()
  })
  if (ending !== "eof") {
    if (ending === "error" && target.released()) socket.destroy()
    else await target.reset(ending === "timeout" ? "timeout" : "cancelled").finally(() => socket.destroy())
  }
  if (target.released())
    throw new SandboxError({
      reason: "cancelled",
      detail: "the lane was released while the command ran",
      laneId
    })
  if (ending === "timeout") return result("timed_out", null)
  if (ending === "cancelled")
    throw new SandboxError({
      reason: "cancelled",
      detail: "the command was cancelled and the lane reset",
      laneId
    })
  if (ending === "error")
    throw new SandboxError({
      reason: "engine-error",
      detail: `the exec stream broke: ${failure instanceof Error ? failure.message : String(failure)}`,
      laneId,
      cause: failure
    })
  if (demux.partial)
    throw new SandboxError({ reason: "engine-error", detail: "the exec stream ended inside a frame", laneId })
  const exitCode = await exitCodeOf(engine, execId)
  if (exitCode === undefined) {
    await target.reset("cancelled")
    throw new SandboxError({
      reason: "engine-error",
      detail: "the engine never reported the exit code",
      laneId
    })
  }
  const oomKilled =
    exitCode === 137 && (await target.oom.waitForKill(containerId, oomBefore, target.oomGraceMs))
  return result(oomKilled ? "oom_killed" : "exited", exitCode)
}
