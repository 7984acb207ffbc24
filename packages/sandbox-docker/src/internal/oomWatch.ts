import type { EngineClient } from "./engine.js"
import { filtersQuery } from "./engine.js"

/**
 * Counts the kernel's out-of-memory kills per container from the engine's event feed. An exec
 * killed at the memory limit ends with status 137 like any SIGKILL; the engine's `oom` event is
 * what tells the two apart, and it works the same on cgroup v1 and v2 and on a remote engine.
 */
export class OomWatch {
  private readonly counts = new Map<string, number>()
  private readonly waiters = new Set<() => void>()
  private readonly controller = new AbortController()
  private connected: Promise<void> | undefined
  private buffer = ""

  constructor(
    private readonly engine: EngineClient,
    private readonly labelFilter: ReadonlyArray<string>,
    private readonly onError: (error: unknown) => void
  ) {}

  /** Subscribes to the feed; resolves once the engine has accepted the subscription. */
  start(): Promise<void> {
    this.connected ??= this.connect()
    return this.connected
  }

  private async connect(): Promise<void> {
    const filters = filtersQuery({ type: ["container"], event: ["oom"], label: this.labelFilter })
    const { body, close } = await this.engine.stream(`/events?${filters}`, this.controller.signal)
    this.controller.signal.addEventListener("abort", close, { once: true })
    body.setEncoding("utf8")
    body.on("data", (text: string) => this.onText(text))
    body.on("error", (error) => {
      if (!this.controller.signal.aborted) this.onError(error)
    })
    body.on("end", () => {
      if (this.controller.signal.aborted) return
      // The engine went away or restarted: resubscribe, so later kills are still seen.
      this.connected = undefined
      setTimeout(() => void this.start().catch((error: unknown) => this.onError(error)), 500).unref()
    })
  }

  private onText(text: string): void {
    this.buffer += text
    let newline = this.buffer.indexOf("\n")
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline)
      this.buffer = this.buffer.slice(newline + 1)
      newline = this.buffer.indexOf("\n")
      if (line.trim() === "") continue
      try {
        const event = JSON.parse(line) as { Action?: string; Actor?: { ID?: string }; id?: string }
        const id = event.Actor?.ID ?? event.id
        if (event.Action === "oom" && typeof id === "string") {
          this.counts.set(id, (this.counts.get(id) ?? 0) + 1)
          for (const wake of this.waiters) wake()
        }
      } catch (error) {
        this.onError(error)
      }
    }
    if (this.buffer.length > 1024 * 1024) this.buffer = ""
  }

  /** How many OOM kills the container has had so far. */
  count(containerId: string): number {
    return this.counts.get(containerId) ?? 0
  }

  /**
   * Waits up to `graceMs` for the container's OOM count to exceed `before`: the event can land a
   * moment after the exec's stream closes.
   */
  waitForKill(containerId: string, before: number, graceMs: number): Promise<boolean> {
    if (this.count(containerId) > before) return Promise.resolve(true)
    return new Promise((resolve) => {
      const done = (killed: boolean) => {
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve(killed)
      }
      const check = () => {
        if (this.count(containerId) > before) done(true)
      }
      const timer = setTimeout(() => done(false), graceMs)
      this.waiters.add(check)
    })
  }

  /** Drops what is known about a removed container. */
  forget(containerId: string): void {
    this.counts.delete(containerId)
  }

  stop(): void {
    this.controller.abort()
  }
}
