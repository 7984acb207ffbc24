import type { LookupAddress, LookupOptions } from "node:dns"
import type { ConnectionOptions } from "node:tls"
import { Pool } from "undici"

/** Connection settings shared by every pinned pool. */
export interface PoolSettings {
  readonly maxHeaderBytes: number
  readonly connectTimeoutMs: number
  readonly maxPools: number
  readonly connectionsPerPool: number
  /** TLS options for hosts behind a private CA; verification cannot be turned off. */
  readonly tls?: EgressTlsOptions
}

/** TLS settings a host may add (a private CA, a client certificate); nothing that weakens checks. */
export type EgressTlsOptions = Pick<ConnectionOptions, "ca" | "cert" | "key" | "passphrase" | "minVersion">

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | Array<LookupAddress>,
  family?: number
) => void

/**
 * A `lookup` for `net.connect` that answers with one checked address and nothing else, so the
 * socket opens exactly where the guard looked, with no second DNS query to rebind.
 */
const pinnedLookup =
  (host: string, address: string, family: 4 | 6) =>
  (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    if (hostname.toLowerCase().replace(/\.$/u, "") !== host) {
      callback(Object.assign(new Error(`pinned lookup asked for ${hostname}`), { code: "ENOTFOUND" }), "")
      return
    }
    if (options.all === true) callback(null, [{ address, family }])
    else callback(null, address, family)
  }

/**
 * Keep-alive pools, one per (origin, pinned address). A connection is reused only for the same
 * origin and the same checked address, so a pooled socket never carries a request to an
 * address that this request did not check. Least recently used pools close past `maxPools`.
 */
export class PinnedPools {
  private readonly pools = new Map<string, Pool>()
  private closed = false

  constructor(private readonly settings: PoolSettings) {}

  get(origin: string, host: string, address: string, family: 4 | 6): Pool {
    if (this.closed) throw new Error("the egress guard is closed")
    const key = `${origin}\n${address}`
    const found = this.pools.get(key)
    if (found !== undefined) {
      // Map order is insertion order: re-inserting marks the pool most recently used.
      this.pools.delete(key)
      this.pools.set(key, found)
      return found
    }
    const pool = new Pool(origin, {
      connections: this.settings.connectionsPerPool,
      maxHeaderSize: this.settings.maxHeaderBytes,
      connect: {
        ...(this.settings.tls as object),
        rejectUnauthorized: true,
        timeout: this.settings.connectTimeoutMs,
        lookup: pinnedLookup(host, address, family)
      }
    })
    this.pools.set(key, pool)
    while (this.pools.size > this.settings.maxPools) {
      const [oldestKey, oldest] = this.pools.entries().next().value as [string, Pool]
      this.pools.delete(oldestKey)
      oldest.close().catch(() => oldest.destroy().catch(() => undefined))
    }
    return pool
  }

  get size(): number {
    return this.pools.size
  }

  async close(): Promise<void> {
    this.closed = true
    const pools = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)))
  }
}
