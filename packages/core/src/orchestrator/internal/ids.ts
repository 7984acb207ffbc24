import { sha256Hex } from "../../hash.js"

/**
 * A UUIDv7 derived from a run id and a key, the same in every process. Used for the events whose
 * identity is decided by the run's history rather than by who writes them: the state change to
 * version `n` of a run (`state/n`), its creation, an approval's resolution. Two writers racing
 * for the same change build the same id, and the audit log accepts one record per id, so at
 * most one of them wins and a retry after a crash never records the change twice.
 *
 * Layout: the run id's 48-bit timestamp, version 7, the RFC 4122 variant, and 74 bits of
 * sha256(runId, key).
 */
export const eventIdFor = (runId: string, key: string): string => {
  const h = sha256Hex(`${runId}\u0000${key}`)
  const time = runId.replaceAll("-", "").slice(0, 12)
  const variant = ((Number.parseInt(h.charAt(3), 16) & 0x3) | 0x8).toString(16)
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${h.slice(0, 3)}-${variant}${h.slice(4, 7)}-${h.slice(7, 19)}`
}

/**
 * The trace id of a run: the 32 hex digits of its run id (a UUIDv7 is never all zero). Derived
 * rather than minted, so every process that touches the run, before or after a restart, joins
 * the same trace without reading anything first.
 */
export const traceIdOf = (runId: string): string => runId.replaceAll("-", "")

/** Event id keys (see `eventIdFor`). */
export const eventKeys = {
  created: "created",
  state: (version: number) => `state/${version}`,
  approvalResolved: (approvalId: string) => `approval/${approvalId}`
} as const
