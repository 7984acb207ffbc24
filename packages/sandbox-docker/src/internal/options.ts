import { hostname } from "node:os"
import { newId } from "@bga/core"
import { SandboxError } from "@bga/core/sandbox"
import { isRootUser } from "./containerSpec.js"
import type { Owner } from "./labels.js"
import type { OrphanPolicy } from "./orphans.js"

/** Something that happened in the driver, for logs and metrics. */
export type DockerSandboxEvent =
  | {
      readonly type: "lane-created"
      readonly laneId: string
      readonly customerInstanceId: string
      readonly ms: number
    }
  | {
      readonly type: "lane-removed"
      readonly laneId: string
      readonly reason: "released" | "idle" | "closed"
    }
  | {
      readonly type: "lane-reset"
      readonly laneId: string
      readonly reason: "timeout" | "cancelled" | "strays"
    }
  | { readonly type: "lane-recreated"; readonly laneId: string }
  | { readonly type: "orphan-removed"; readonly kind: "container" | "volume"; readonly name: string }
  | { readonly type: "warning"; readonly message: string }

/** How to run the Docker sandbox driver. */
export interface DockerSandboxOptions {
  /** The lane image used when a lane spec names none; it must already be on the engine. */
  readonly image: string
  /** Images a lane spec may ask for; defaults to just `image`. */
  readonly allowedImages?: ReadonlyArray<string>
  /**
   * The engine's unix socket. Defaults to `DOCKER_HOST` when it is a `unix://` address, else
   * `/var/run/docker.sock`. TCP engines are not supported: the API must not cross a network.
   */
  readonly socketPath?: string
  /** Label namespace of this deployment's lanes; orphan cleanup never looks outside it. */
  readonly scope?: string
  /** The non-root user lane commands run as (default `65534:65534`, "nobody"). */
  readonly user?: string
  /** Defaults for lanes whose spec sets no limits. */
  readonly limits?: {
    readonly pids?: number
    readonly memoryBytes?: number
    readonly cpus?: number
  }
  /** Size of each lane's /tmp tmpfs (default 64 MiB; it counts against the memory limit). */
  readonly tmpSizeBytes?: number
  /**
   * The one long-lived process that keeps an idle lane up, under the engine's docker-init
   * (default `sleep 2147483647`). Any other process still running after a command ends is a
   * stray and the lane is reset.
   */
  readonly keepAliveCommand?: ReadonlyArray<string>
  /** A lane unused this long is destroyed (default 10 minutes). */
  readonly idleTimeoutMs?: number
  /** How often idle lanes are looked for (default 30 s). */
  readonly reapIntervalMs?: number
  /** Which lanes left by other driver instances are removed at start (default `dead-owner`). */
  readonly orphans?: OrphanPolicy
  /**
   * Refuse to start when the engine reports it cannot enforce pids and memory limits (default
   * true). Turning it off is for diagnosis only: without limits a lane cannot contain a fork or
   * memory bomb.
   */
  readonly requireEnforcedLimits?: boolean
  /** How long to wait for the engine's OOM event after a command dies with 137 (default 1 s). */
  readonly oomGraceMs?: number
  readonly onEvent?: (event: DockerSandboxEvent) => void
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly image: string
  readonly allowedImages: ReadonlySet<string>
  readonly socketPath: string
  readonly owner: Owner
  readonly user: string
  readonly pids: number
  readonly memoryBytes: number
  readonly cpus: number
  readonly tmpSizeBytes: number
  readonly keepAliveCommand: ReadonlyArray<string>
  readonly idleTimeoutMs: number
  readonly reapIntervalMs: number
  readonly orphans: OrphanPolicy
  readonly requireEnforcedLimits: boolean
  readonly oomGraceMs: number
  readonly onEvent: (event: DockerSandboxEvent) => void
}

/** The engine socket named by `DOCKER_HOST`, or the standard one. */
export const defaultSocketPath = (env: NodeJS.ProcessEnv = process.env): string => {
  const host = env.DOCKER_HOST
  return host?.startsWith("unix://") ? host.slice("unix://".length) : "/var/run/docker.sock"
}

const slug = /^[a-z0-9](?:[a-z0-9_.-]{0,62}[a-z0-9])?$/u

/** Fills in defaults and refuses settings that would weaken a lane. */
export const resolveOptions = (options: DockerSandboxOptions): ResolvedOptions => {
  const problems: Array<string> = []
  const positive = (name: string, value: number | undefined, fallback: number, min: number, max: number) => {
    const v = value ?? fallback
    if (!Number.isFinite(v) || v < min || v > max)
      problems.push(`${name} must be from ${min} to ${max} (got ${v})`)
    return v
  }
  const user = options.user ?? "65534:65534"
  if (isRootUser(user)) problems.push(`user ${JSON.stringify(user)} is root; lanes run as a non-root user`)
  const scope = options.scope ?? "default"
  if (!slug.test(scope)) problems.push(`scope ${JSON.stringify(scope)} must be a lowercase slug`)
  if (options.image === undefined || options.image === "") problems.push("image is required")
  const socketPath = options.socketPath ?? defaultSocketPath()
  if (!socketPath.startsWith("/")) problems.push("socketPath must be an absolute path to a unix socket")
  const keepAliveCommand = options.keepAliveCommand ?? ["sleep", "2147483647"]
  if (keepAliveCommand.length === 0) problems.push("keepAliveCommand must not be empty")
  const resolved: ResolvedOptions = {
    image: options.image,
    allowedImages: new Set([options.image, ...(options.allowedImages ?? [])]),
    socketPath,
    owner: { ownerId: newId(), host: hostname(), pid: process.pid, scope },
    user,
    pids: positive("limits.pids", options.limits?.pids, 128, 8, 32_768),
    memoryBytes: positive(
      "limits.memoryBytes",
      options.limits?.memoryBytes,
      256 * 1024 * 1024,
      8 * 1024 * 1024,
      1024 ** 4
    ),
    cpus: positive("limits.cpus", options.limits?.cpus, 1, 0.01, 256),
    tmpSizeBytes: positive("tmpSizeBytes", options.tmpSizeBytes, 64 * 1024 * 1024, 1024 * 1024, 1024 ** 4),
    keepAliveCommand,
    idleTimeoutMs: positive("idleTimeoutMs", options.idleTimeoutMs, 600_000, 1, 7 * 24 * 3_600_000),
    reapIntervalMs: positive("reapIntervalMs", options.reapIntervalMs, 30_000, 10, 3_600_000),
    orphans: options.orphans ?? "dead-owner",
    requireEnforcedLimits: options.requireEnforcedLimits ?? true,
    oomGraceMs: positive("oomGraceMs", options.oomGraceMs, 1_000, 0, 60_000),
    onEvent: options.onEvent ?? (() => undefined)
  }
  if (problems.length > 0)
    throw new SandboxError({
      reason: "invalid-request",
      detail: `Docker sandbox options: ${problems.join("; ")}`
    })
  return resolved
}
