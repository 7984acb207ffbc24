import { hashOf, newId } from "@bga/core"
import {
  decodeLaneSpec,
  type ExecRequest,
  type ExecResult,
  type LaneInfo,
  type LaneSpec,
  normalizeExecRequest,
  SandboxError,
  type SandboxLane
} from "@bga/core/sandbox"
import { Result } from "effect"
import { containerBody, type LaneConfig } from "./containerSpec.js"
import { EngineClient, EngineError } from "./engine.js"
import { toSandboxError } from "./errors.js"
import { runExec } from "./exec.js"
import { laneLabels, scopeFilter } from "./labels.js"
import { OomWatch } from "./oomWatch.js"
import type { ResolvedOptions } from "./options.js"
import { checkLimits, removeOrphans } from "./startup.js"

/** One live lane: its container, its owner and its one-command-at-a-time lock. */
interface LaneState {
  readonly laneId: string
  readonly key: string
  readonly config: LaneConfig
  readonly customerInstanceId: string
  readonly runId: string | undefined
  containerId: string
  readonly createdAt: number
  lastUsedAt: number
  busy: number
  /** Acquire calls that got this lane, minus those that abandoned it. */
  handedOut: number
  /** Commands run so far: a lane nobody used is safe to drop when its acquire is cancelled. */
  execs: number
  released: boolean
  tail: Promise<void>
}

const containerName = (laneId: string) => `bga-lane-${laneId}`
const volumeName = (laneId: string) => `bga-ws-${laneId}`

/**
 * The Docker lanes of one driver instance. Plain Promise code over the engine client; the Effect
 * service in `DockerSandbox.ts` wraps it at the edge.
 */
export class DockerLanes {
  private readonly lanes = new Map<string, LaneState>()
  private readonly byKey = new Map<string, LaneState>()
  private readonly pending = new Map<string, PendingLane>()
  private reaper: NodeJS.Timeout | undefined
  private closed = false

  private constructor(
    private readonly engine: EngineClient,
    private readonly options: ResolvedOptions,
    private readonly oom: OomWatch
  ) {}

  /**
   * Connects to the engine, checks that it can enforce lane limits, removes orphaned lanes of
   * this scope and starts the idle reaper.
   */
  static async open(options: ResolvedOptions, signal?: AbortSignal): Promise<DockerLanes> {
    const engine = await EngineClient.connect(options.socketPath, signal)
    try {
      await checkLimits(engine, options)
      const oom = new OomWatch(engine, scopeFilter(options.owner.scope), (error) =>
        options.onEvent({ type: "warning", message: `OOM event feed: ${String(error)}` })
      )
      await oom.start()
      const lanes = new DockerLanes(engine, options, oom)
      await removeOrphans(engine, options)
      lanes.reaper = setInterval(() => void lanes.reapIdle().catch(() => undefined), options.reapIntervalMs)
      lanes.reaper.unref()
      return lanes
    } catch (error) {
      await engine.close()
      throw error
    }
  }

  /** Returns the warm lane matching the spec, creating it once even under concurrent calls. */
  async acquire(input: LaneSpec, signal?: AbortSignal): Promise<SandboxLane> {
    this.assertOpen()
    const spec = Result.getOrThrowWith(decodeLaneSpec(input), (error) => error)
    const settings = await this.settingsOf(spec, signal)
    const key = hashOf({
      ...settings,
      customerInstanceId: spec.customerInstanceId,
      runId: spec.runId ?? null
    })
    const existing = this.byKey.get(key)
    if (existing !== undefined) {
      existing.lastUsedAt = Date.now()
      existing.handedOut++
      return handleOf(existing)
    }
    let creating = this.pending.get(key)
    if (creating === undefined) {
      const controller = new AbortController()
      const entry: PendingLane = {
        controller,
        waiters: 0,
        promise: this.create(key, spec, settings, controller.signal).finally(() => this.pending.delete(key))
      }
      creating = entry
      this.pending.set(key, entry)
    }
    const state = await this.waitFor(creating, signal)
    state.handedOut++
    return handleOf(state)
  }

  /**
   * Takes back a lane whose acquirer was interrupted right after getting it: the lane is dropped
   * when nobody else holds it and nothing ran in it.
   */
  async abandon(lane: SandboxLane): Promise<void> {
    const state = this.lanes.get(lane.laneId)
    if (state === undefined || state.customerInstanceId !== lane.customerInstanceId) return
    state.handedOut = Math.max(0, state.handedOut - 1)
    if (state.handedOut === 0 && state.busy === 0 && state.execs === 0) await this.release(lane)
  }

  /**
   * Waits for a lane being created. A caller that gives up stops waiting; the creation itself is
   * called off (and cleaned up) only when no caller is left, and a lane finished in the meantime
   * that nobody took is released before the cancelled caller hears back.
   */
  private waitFor(entry: PendingLane, signal?: AbortSignal): Promise<LaneState> {
    signal?.throwIfAborted()
    entry.waiters++
    if (signal === undefined) return entry.promise
    return new Promise<LaneState>((resolve, reject) => {
      const cancelled = () =>
        reject(new SandboxError({ reason: "cancelled", detail: "acquiring the lane was cancelled" }))
      const onAbort = () => {
        entry.waiters--
        if (entry.waiters === 0) entry.controller.abort()
        entry.promise.then(async (state) => {
          if (entry.waiters === 0 && state.handedOut === 0 && state.execs === 0)
            await this.release(handleOf(state)).catch(() => undefined)
          cancelled()
        }, cancelled)
      }
      signal.addEventListener("abort", onAbort, { once: true })
      entry.promise.then(
        (state) => {
          signal.removeEventListener("abort", onAbort)
          resolve(state)
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort)
          reject(error)
        }
      )
    })
  }

  /** Runs a command in a lane, one at a time per lane. */
  async exec(lane: SandboxLane, request: ExecRequest, signal?: AbortSignal): Promise<ExecResult> {
    this.assertOpen()
    const normalized = Result.getOrThrowWith(normalizeExecRequest(request), (error) => error)
    const state = this.own(lane)
    return this.locked(
      state,
      () => this.sweep(state),
      async () => {
        if (state.released)
          throw new SandboxError({
            reason: "lane-not-found",
            detail: "the lane was released",
            laneId: state.laneId
          })
        try {
          return await runExec(this.target(state), normalized, signal)
        } catch (error) {
          if (!(error instanceof EngineError) || (error.status !== 404 && error.status !== 409)) throw error
          // The container was removed or stopped behind our back: bring the lane back once.
          await this.revive(state, signal)
          return await runExec(this.target(state), normalized, signal)
        }
      }
    ).catch((error: unknown) => {
      throw toSandboxError(error, state.laneId)
    })
  }

  /** Destroys a lane (container and workspace). Unknown or foreign lanes are left alone. */
  async release(lane: SandboxLane, reason: "released" | "idle" | "closed" = "released"): Promise<void> {
    const state = this.lanes.get(lane.laneId)
    if (state === undefined || state.customerInstanceId !== lane.customerInstanceId) return
    state.released = true
    this.lanes.delete(state.laneId)
    if (this.byKey.get(state.key) === state) this.byKey.delete(state.key)
    await this.destroy(state.containerId, state.config.volume)
    this.options.onEvent({ type: "lane-removed", laneId: state.laneId, reason })
  }

  /** The live lanes of one customer instance. */
  list(customerInstanceId: string): ReadonlyArray<LaneInfo> {
    return [...this.lanes.values()]
      .filter((state) => state.customerInstanceId === customerInstanceId)
      .map((state) => ({
        ...handleOf(state),
        image: state.config.image,
        createdAt: state.createdAt,
        lastUsedAt: state.lastUsedAt,
        busy: state.busy > 0
      }))
  }

  /** Destroys lanes idle past the limit; a lane running a command is never idle. */
  async reapIdle(now = Date.now()): Promise<ReadonlyArray<string>> {
    const idle = [...this.lanes.values()].filter(
      (state) => state.busy === 0 && now - state.lastUsedAt >= this.options.idleTimeoutMs
    )
    await Promise.all(idle.map((state) => this.release(handleOf(state), "idle")))
    return idle.map((state) => state.laneId)
  }

  /** Stops the reaper and the event feed and destroys every lane of this instance. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.reaper)
    await Promise.allSettled([...this.pending.values()].map((entry) => entry.promise))
    await Promise.allSettled([...this.lanes.values()].map((state) => this.release(handleOf(state), "closed")))
    this.oom.stop()
    await this.engine.close()
  }

  private assertOpen(): void {
    if (this.closed)
      throw new SandboxError({ reason: "closed", detail: "the Docker sandbox driver was shut down" })
  }

  private own(lane: SandboxLane): LaneState {
    const state = this.lanes.get(lane.laneId)
    // A foreign handle gets the same answer as a missing lane: no probing of other instances.
    if (
      state === undefined ||
      state.customerInstanceId !== lane.customerInstanceId ||
      state.runId !== lane.runId
    )
      throw new SandboxError({
        reason: "lane-not-found",
        detail: "no such lane for this customer instance",
        laneId: lane.laneId
      })
    return state
  }

  /**
   * Runs `body` alone in the lane, then `after` while still holding the lane: the caller gets
   * its result at once and the next command waits for the clean-up.
   */
  private async locked<A>(state: LaneState, after: () => Promise<void>, body: () => Promise<A>): Promise<A> {
    const previous = state.tail
    let unlock: () => void = () => undefined
    state.tail = new Promise<void>((resolve) => {
      unlock = resolve
    })
    state.busy++
    state.execs++
    const finish = () => {
      state.busy--
      state.lastUsedAt = Date.now()
      unlock()
    }
    try {
      await previous
      const value = await body()
      void after()
        .catch(() => undefined)
        .finally(finish)
      return value
    } catch (error) {
      finish()
      throw error
    }
  }

  /**
   * Nothing a command starts outlives it: background processes (a collapsing fork bomb, a
   * daemon) would otherwise hold pids and CPU and leak state into the next command.
   */
  private async sweep(state: LaneState): Promise<void> {
    if (!state.released && (await this.hasStrays(state))) await this.reset(state, "strays")
  }

  private target(state: LaneState) {
    return {
      engine: this.engine,
      laneId: state.laneId,
      containerId: state.containerId,
      user: state.config.user,
      oom: this.oom,
      oomGraceMs: this.options.oomGraceMs,
      released: () => state.released,
      reset: (reason: "timeout" | "cancelled") => this.reset(state, reason)
    }
  }

  private async settingsOf(spec: LaneSpec, signal?: AbortSignal) {
    const image = spec.image ?? this.options.image
    if (!this.options.allowedImages.has(image))
      throw new SandboxError({
        reason: "image-not-allowed",
        detail: `image ${image} is not among the driver's allowed images`
      })
    const network = spec.network === undefined || spec.network === "none" ? "none" : spec.network.internal
    if (network !== "none") await this.checkInternal(network, signal)
    return {
      image,
      network,
      workspace: spec.workspace === true,
      pids: spec.limits?.pids ?? this.options.pids,
      memoryBytes: spec.limits?.memoryBytes ?? this.options.memoryBytes,
      nanoCpus: Math.round((spec.limits?.cpus ?? this.options.cpus) * 1e9)
    }
  }

  private async checkInternal(network: string, signal?: AbortSignal): Promise<void> {
    const refused = (why: string) =>
      new SandboxError({
        reason: "network-not-allowed",
        detail: `network ${network} ${why}; lanes join only internal networks`
      })
    const { status, body } = await this.engine
      .call<{ Internal?: boolean }>("GET", `/networks/${encodeURIComponent(network)}`, {
        signal,
        accept: [404]
      })
      .catch((error: unknown) => {
        throw toSandboxError(error)
      })
    if (status === 404) throw refused("does not exist")
    if (body.Internal !== true) throw refused("can reach outside the engine")
  }

  private async create(
    key: string,
    spec: LaneSpec,
    settings: Awaited<ReturnType<DockerLanes["settingsOf"]>>,
    signal?: AbortSignal
  ): Promise<LaneState> {
    const started = performance.now()
    const laneId = newId()
    const config: LaneConfig = {
      laneId,
      image: settings.image,
      user: this.options.user,
      hostname: `lane-${laneId.slice(-12)}`,
      labels: laneLabels(this.options.owner, {
        laneId,
        customerInstanceId: spec.customerInstanceId,
        runId: spec.runId
      }),
      network: settings.network,
      pids: settings.pids,
      memoryBytes: settings.memoryBytes,
      nanoCpus: settings.nanoCpus,
      tmpSizeBytes: this.options.tmpSizeBytes,
      volume: settings.workspace ? volumeName(laneId) : undefined,
      keepAliveCommand: this.options.keepAliveCommand
    }
    const containerId = await this.startContainer(config, signal).catch((error: unknown) => {
      throw toSandboxError(error, laneId)
    })
    const state: LaneState = {
      laneId,
      key,
      config,
      customerInstanceId: spec.customerInstanceId,
      runId: spec.runId,
      containerId,
      createdAt: Date.now(),
      lastUsedAt: Date.now(),
      busy: 0,
      handedOut: 0,
      execs: 0,
      released: false,
      tail: Promise.resolve()
    }
    if (this.closed || signal?.aborted) {
      await this.destroy(containerId, config.volume)
      throw this.closed
        ? new SandboxError({ reason: "closed", detail: "the Docker sandbox driver was shut down" })
        : new SandboxError({ reason: "cancelled", detail: "acquiring the lane was cancelled", laneId })
    }
    this.lanes.set(laneId, state)
    this.byKey.set(key, state)
    this.options.onEvent({
      type: "lane-created",
      laneId,
      customerInstanceId: spec.customerInstanceId,
      ms: Math.round(performance.now() - started)
    })
    return state
  }

  /**
   * Creates and starts a lane container. Whatever fails or is cancelled half way is removed
   * again, so an aborted acquire leaves nothing behind.
   */
  private async startContainer(config: LaneConfig, signal?: AbortSignal): Promise<string> {
    let containerId: string | undefined
    try {
      if (config.volume !== undefined)
        await this.engine.call("POST", "/volumes/create", {
          body: { Name: config.volume, Driver: "local", Labels: config.labels }
        })
      const created = await this.engine.call<{ Id: string; Warnings?: ReadonlyArray<string> | null }>(
        "POST",
        `/containers/create?name=${containerName(config.laneId)}`,
        { body: containerBody(config) }
      )
      containerId = created.body.Id
      const warnings = (created.body.Warnings ?? []).filter((w) => /limit|memory|pids|cpu|swap/iu.test(w))
      if (warnings.length > 0 && this.options.requireEnforcedLimits)
        throw new SandboxError({
          reason: "limits-unenforced",
          detail: warnings.join("; "),
          laneId: config.laneId
        })
      signal?.throwIfAborted()
      await this.engine.call("POST", `/containers/${containerId}/start`, { accept: [304] })
      signal?.throwIfAborted()
      return containerId
    } catch (error) {
      await this.destroy(containerId, config.volume)
      throw error
    }
  }

  /** Brings back a lane whose container stopped or disappeared. */
  private async revive(state: LaneState, signal?: AbortSignal): Promise<void> {
    const { status } = await this.engine.call("POST", `/containers/${state.containerId}/start`, {
      accept: [304, 404]
    })
    if (status === 404) {
      this.oom.forget(state.containerId)
      state.containerId = await this.startContainer(state.config, signal)
    }
    this.options.onEvent({ type: "lane-recreated", laneId: state.laneId })
  }

  /**
   * Whether anything besides docker-init and the keep-alive process runs in the lane. The engine
   * lists the container's processes from its cgroup, so nothing inside can hide from it.
   */
  private async hasStrays(state: LaneState): Promise<boolean> {
    const { status, body } = await this.engine.call<{ Processes?: ReadonlyArray<unknown> | null }>(
      "GET",
      `/containers/${state.containerId}/top`,
      { accept: [404, 409] }
    )
    return status < 300 && (body.Processes ?? []).length > 2
  }

  /** Kills every process of a lane and starts it fresh (same container, empty /tmp). */
  private async reset(state: LaneState, reason: "timeout" | "cancelled" | "strays"): Promise<void> {
    if (state.released) return
    const { status } = await this.engine.call("POST", `/containers/${state.containerId}/restart?t=0`, {
      accept: [404]
    })
    if (status === 404) await this.revive(state)
    this.options.onEvent({ type: "lane-reset", laneId: state.laneId, reason })
  }

  private async destroy(containerId: string | undefined, volume: string | undefined): Promise<void> {
    if (containerId !== undefined) {
      await this.engine
        .call("DELETE", `/containers/${containerId}?force=true&v=true`, { accept: [404] })
        .catch(() => undefined)
      this.oom.forget(containerId)
    }
    if (volume !== undefined)
      await this.engine
        .call("DELETE", `/volumes/${volume}?force=true`, { accept: [404] })
        .catch(() => undefined)
  }
}

/** A lane being created, shared by every caller that asked for it meanwhile. */
interface PendingLane {
  readonly promise: Promise<LaneState>
  readonly controller: AbortController
  waiters: number
}

const handleOf = (state: LaneState): SandboxLane => ({
  laneId: state.laneId,
  customerInstanceId: state.customerInstanceId,
  ...(state.runId === undefined ? {} : { runId: state.runId })
})
