/** The permissions of a manifest, read once into what each capability checks. */
export interface Grants {
  readonly toolsRegister: boolean
  readonly kvRead: boolean
  readonly kvWrite: boolean
  readonly channelSend: boolean
  readonly eventsSubscribe: boolean
  readonly sandboxExec: boolean
  /** `egress.fetch:` host patterns: `api.example.com` or `*.example.org`. */
  readonly egressHosts: ReadonlyArray<string>
  /** `secrets.read:` names. */
  readonly secrets: ReadonlySet<string>
}

/** Reads granted permissions (already validated against the taxonomy by the manifest schema). */
export const grantsOf = (permissions: ReadonlyArray<string>): Grants => {
  const set = new Set(permissions)
  return {
    toolsRegister: set.has("tools.register"),
    kvRead: set.has("kv.read"),
    kvWrite: set.has("kv.write"),
    channelSend: set.has("channel.send"),
    eventsSubscribe: set.has("events.subscribe"),
    sandboxExec: set.has("sandbox.exec"),
    egressHosts: permissions
      .filter((p) => p.startsWith("egress.fetch:"))
      .map((p) => p.slice("egress.fetch:".length)),
    secrets: new Set(
      permissions.filter((p) => p.startsWith("secrets.read:")).map((p) => p.slice("secrets.read:".length))
    )
  }
}

/**
 * True when `host` is covered by a pattern: `api.example.com` matches only itself;
 * `*.example.org` matches subdomains at any depth but not `example.org`. Case-insensitive,
 * a trailing dot ignored.
 */
export const hostMatches = (patterns: ReadonlyArray<string>, host: string): boolean => {
  const h = host.toLowerCase().replace(/\.$/u, "")
  if (h === "") return false
  return patterns.some((pattern) => {
    const p = pattern.toLowerCase()
    return p.startsWith("*.") ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p
  })
}
