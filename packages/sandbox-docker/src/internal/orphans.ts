import { Label, type Owner } from "./labels.js"

/** Which foreign lanes a starting driver removes. */
export type OrphanPolicy = "dead-owner" | "all-in-scope" | "keep"

/** A container or volume of this driver's scope, as the engine lists it. */
export interface Labelled {
  readonly labels: Readonly<Record<string, string>>
  /** Container state (`running`, `exited`, ...); undefined for volumes. */
  readonly state?: string | undefined
}

/**
 * Decides whether a labelled lane resource belongs to nobody any more. Another driver on this
 * host is gone when its process is; a driver on another host cannot be checked from here, so its
 * lanes stay unless the policy claims the whole scope (one driver per scope, the usual setup).
 */
export const isOrphan = (
  item: Labelled,
  self: Owner,
  policy: OrphanPolicy,
  isAlive: (pid: number) => boolean
): boolean => {
  if (policy === "keep") return false
  const owner = item.labels[Label.owner]
  if (owner === self.ownerId) return false
  if (policy === "all-in-scope") return true
  if (item.labels[Label.ownerHost] !== self.host) return false
  const pid = Number(item.labels[Label.ownerPid])
  if (!Number.isInteger(pid) || pid <= 0) return true
  return !isAlive(pid)
}

/** True while a process with this id exists on this host. */
export const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}
