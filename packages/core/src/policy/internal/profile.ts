import type { PolicyResource } from "../../contracts/PolicyDecisionTrace.js"
import type { ToolProfile } from "../../contracts/RunRequest.js"
import { ToolProfiles } from "../taxonomy.js"
import { type CompiledRule, makeRule } from "./compile.js"
import { compileAny, type StringTest } from "./glob.js"

/** What a run's tool profile lets through, compiled once per profile object. */
export interface CompiledProfile {
  /** The run-layer rule a tool outside the profile meets. */
  readonly outside: CompiledRule
  /** The run-layer rule a tool matching one of the profile's `deny` patterns meets. */
  readonly denied: CompiledRule
  /** The trace context for sandboxed and unsandboxed requests of this run. */
  readonly traceContext: { readonly sandboxed: TraceContext; readonly host: TraceContext }
  /** Which rule, if any, the run layer holds against this tool. */
  readonly check: (resource: PolicyResource) => CompiledRule | undefined
}

/** The context a trace records. */
export interface TraceContext {
  readonly sandboxed: boolean
  readonly toolProfile?: ToolProfile["profile"]
}

const runOrdinal = Number.MAX_SAFE_INTEGER - 1

interface PatternSet {
  readonly names: StringTest | undefined
  readonly groups: ReadonlySet<string>
}

const patternSet = (patterns: ReadonlyArray<string> | undefined): PatternSet => {
  const list = patterns ?? []
  const names = list.filter((p) => !p.startsWith("group:"))
  return {
    names: names.length > 0 ? compileAny(names) : undefined,
    groups: new Set(list.filter((p) => p.startsWith("group:")))
  }
}

const hits = (set: PatternSet, resource: PolicyResource): boolean => {
  if (set.names?.(resource.name)) return true
  const held = resource.groups
  if (set.groups.size === 0 || held === undefined) return false
  for (let i = 0; i < held.length; i++) if (set.groups.has(held[i]!)) return true
  return false
}

const compileProfile = (profile: ToolProfile): CompiledProfile => {
  const base = ToolProfiles[profile.profile]
  const all = base === "all"
  const baseGroups: ReadonlySet<string> = new Set(all ? [] : base)
  const allow = patternSet(profile.allow)
  const deny = patternSet(profile.deny)
  const outside = makeRule({
    ordinal: runOrdinal,
    id: "run.tool-profile",
    layer: "run",
    effect: "deny",
    rationale: `the run's tool profile "${profile.profile}" does not include this tool`,
    test: () => true
  })
  const denied = makeRule({
    ordinal: runOrdinal + 1,
    id: "run.tool-profile.deny",
    layer: "run",
    effect: "deny",
    rationale: "the run's tool profile denies this tool by name or group",
    test: () => true
  })
  const inBase = (resource: PolicyResource): boolean => {
    if (all) return true
    const held = resource.groups
    if (held === undefined) return false
    for (let i = 0; i < held.length; i++) if (baseGroups.has(held[i]!)) return true
    return false
  }
  return {
    outside,
    denied,
    traceContext: {
      sandboxed: Object.freeze({ sandboxed: true, toolProfile: profile.profile }),
      host: Object.freeze({ sandboxed: false, toolProfile: profile.profile })
    },
    check: (resource) => {
      if (hits(deny, resource)) return denied
      if (inBase(resource) || hits(allow, resource)) return undefined
      return outside
    }
  }
}

const cache = new WeakMap<ToolProfile, CompiledProfile>()

/**
 * The compiled form of a run's tool profile. A run passes the same profile object with each of
 * its requests, so it is compiled once per run.
 */
export const profileOf = (profile: ToolProfile): CompiledProfile => {
  let compiled = cache.get(profile)
  if (compiled === undefined) {
    compiled = compileProfile(profile)
    cache.set(profile, compiled)
  }
  return compiled
}
