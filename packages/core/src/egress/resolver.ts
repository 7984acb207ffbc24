import { lookup } from "node:dns/promises"

/**
 * Resolves a host name to addresses. The guard calls it exactly once per hop and connects only
 * to the addresses it returned after checking them, so a resolver that changes its answer
 * (DNS rebinding) cannot steer a connection. Inject one in tests to simulate any answer.
 */
export interface EgressResolver {
  readonly resolve: (host: string, signal: AbortSignal) => Promise<ReadonlyArray<string>>
}

/** The operating system's resolver (getaddrinfo, as Node's `dns.lookup`), every address, in its order. */
export const systemResolver: EgressResolver = {
  resolve: async (host) => (await lookup(host, { all: true, order: "verbatim" })).map((a) => a.address)
}

/** A fixed table of answers, for tests and demos; an unknown host fails like NXDOMAIN. */
export const staticResolver = (table: Readonly<Record<string, ReadonlyArray<string>>>): EgressResolver => ({
  resolve: async (host) => {
    const answers = Object.hasOwn(table, host) ? table[host] : undefined
    if (answers === undefined)
      throw Object.assign(new Error(`no DNS answer for ${host}`), { code: "ENOTFOUND" })
    return answers
  }
})
