import { SandboxError } from "@bga/core/sandbox"
import { type EngineClient, filtersQuery } from "./engine.js"
import { scopeFilter } from "./labels.js"
import type { ResolvedOptions } from "./options.js"
import { isOrphan, pidAlive } from "./orphans.js"

/** Refuses an engine that says it cannot enforce the limits lanes depend on. */
export const checkLimits = async (engine: EngineClient, options: ResolvedOptions): Promise<void> => {
  const { body } = await engine.call<{ MemoryLimit?: boolean; PidsLimit?: boolean; CpuCfsQuota?: boolean }>(
    "GET",
    "/info"
  )
  const missing = [
    body.PidsLimit === true ? undefined : "pids",
    body.MemoryLimit === true ? undefined : "memory",
    body.CpuCfsQuota === true ? undefined : "cpu"
  ].filter((name) => name !== undefined)
  if (missing.length === 0) return
  const detail = `the engine reports it cannot enforce ${missing.join(", ")} limits (cgroup controllers missing)`
  if (options.requireEnforcedLimits) throw new SandboxError({ reason: "limits-unenforced", detail })
  options.onEvent({ type: "warning", message: detail })
}

/** Removes containers and volumes of this scope whose owning driver is gone. */
export const removeOrphans = async (engine: EngineClient, options: ResolvedOptions): Promise<void> => {
  const { owner, orphans } = options
  if (orphans === "keep") return
  const label = filtersQuery({ label: scopeFilter(owner.scope) })
  const containers = await engine.call<
    ReadonlyArray<{
      Id: string
      Names?: ReadonlyArray<string>
      State?: string
      Labels?: Record<string, string>
    }>
  >("GET", `/containers/json?all=true&${label}`)
  for (const container of containers.body) {
    if (!isOrphan({ labels: container.Labels ?? {}, state: container.State }, owner, orphans, pidAlive))
      continue
    await engine.call("DELETE", `/containers/${container.Id}?force=true&v=true`, { accept: [404] })
    options.onEvent({
      type: "orphan-removed",
      kind: "container",
      name: container.Names?.[0] ?? container.Id
    })
  }
  const volumes = await engine.call<{
    Volumes?: ReadonlyArray<{ Name: string; Labels?: Record<string, string> | null }> | null
  }>("GET", `/volumes?${label}`)
  for (const volume of volumes.body.Volumes ?? []) {
    if (!isOrphan({ labels: volume.Labels ?? {} }, owner, orphans, pidAlive)) continue
    // 409: still mounted by a live container (of a live owner); leave it.
    const { status } = await engine.call("DELETE", `/volumes/${volume.Name}`, { accept: [404, 409] })
    if (status < 300) options.onEvent({ type: "orphan-removed", kind: "volume", name: volume.Name })
  }
}
