import type { PolicyRequest } from "../request.js"
import { lookupAffixes } from "./affix.js"
import type { Bucket, CompiledRule } from "./compile.js"
import { matchesResource } from "./matcher.js"

// Which rules of a bucket can match a request depends on the action and on the resource's kind,
// name, groups and risk class; a deployment asks about the same few tools and hosts over and
// over. So the list is made once per resource (every index key looked up, each rule listed once,
// the rules whose resource constraints fail left out, the rest in (layer, id) order) and kept
// in the bucket's memo under the resource name. A decision then reads one list per layer and
// tests only what depends on the subject, the context and the arguments.

/** A bucket's candidate rules for one action and resource, as its memo keeps them. */
export interface Candidates {
  readonly action: string
  readonly kind: string
  /**
   * The resource's groups: its only group, or a copy of the list (the caller may reuse its
   * array), or undefined.
   */
  readonly groups: string | ReadonlyArray<string> | undefined
  readonly riskClass: string | undefined
  /** In (layer, id) order; their resource constraints hold for this resource. */
  readonly rules: ReadonlyArray<CompiledRule>
}

/**
 * What the memos of one policy may hold together: entries, and rules listed across entries.
 * When a new entry would exceed either, every memo of the policy is emptied and fills again.
 */
export interface MemoBudget {
  readonly maxEntries: number
  readonly maxSlots: number
  entries: number
  slots: number
  /** The memos holding entries, emptied together. */
  readonly memos: Set<Map<string, Candidates>>
}

/**
 * A budget for one policy. The defaults bound the memos to a few megabytes even when every
 * entry lists many rules; typical deployments stay far below them.
 */
export const makeMemoBudget = (
  limits: { readonly maxEntries?: number; readonly maxSlots?: number } = {}
): MemoBudget => ({
  maxEntries: limits.maxEntries ?? 32_768,
  maxSlots: limits.maxSlots ?? 262_144,
  entries: 0,
  slots: 0,
  memos: new Set<Map<string, Candidates>>()
})

const none: ReadonlyArray<CompiledRule> = Object.freeze([])

// Rules gathered while making one list; reused, never escapes.
const gathered: Array<CompiledRule> = []
let count = 0
let stamp = 0

const gather = (list: ReadonlyArray<CompiledRule> | undefined, request: PolicyRequest) => {
  if (list === undefined) return
  for (let i = 0; i < list.length; i++) {
    const rule = list[i]!
    if (rule.seen === stamp) continue
    rule.seen = stamp
    if (matchesResource(rule.matcher!, request)) gathered[count++] = rule
  }
}

/** Every rule of the bucket whose action and resource constraints the request meets, in order. */
const collect = (bucket: Bucket, request: PolicyRequest): ReadonlyArray<CompiledRule> => {
  stamp++
  count = 0
  const resource = request.resource
  if (bucket.byName !== undefined) gather(bucket.byName.get(resource.name), request)
  // Groups hold tools only: a host or plugin claiming a group is in none.
  if (bucket.byGroup !== undefined && resource.groups !== undefined && resource.kind === "tool") {
    const groups = resource.groups
    for (let i = 0; i < groups.length; i++) gather(bucket.byGroup.get(groups[i]!), request)
  }
  if (bucket.byRisk !== undefined && resource.riskClass !== undefined)
    gather(bucket.byRisk.get(resource.riskClass), request)
  if (bucket.prefixes !== undefined) lookupAffixes(bucket.prefixes, resource.name, gather, request)
  if (bucket.suffixes !== undefined) lookupAffixes(bucket.suffixes, resource.name, gather, request)
  if (bucket.rest !== undefined) gather(bucket.rest, request)
  if (count === 0) return none
  const rules = gathered.slice(0, count)
  rules.sort((a, b) => a.ordinal - b.ordinal)
  return rules
}

const keptGroups = (groups: ReadonlyArray<string> | undefined) =>
  groups === undefined ? undefined : groups.length === 1 ? groups[0]! : [...groups]

const sameGroups = (kept: Candidates["groups"], groups: ReadonlyArray<string> | undefined) => {
  if (kept === undefined || groups === undefined) return kept === groups
  if (typeof kept === "string") return groups.length === 1 && groups[0] === kept
  if (kept.length !== groups.length) return false
  for (let i = 0; i < kept.length; i++) if (kept[i] !== groups[i]) return false
  return true
}

const remember = (bucket: Bucket, name: string, entry: Candidates) => {
  const budget = bucket.budget
  const memo = bucket.memo
  const previous = memo.get(name)
  if (previous !== undefined) {
    memo.delete(name)
    budget.entries--
    budget.slots -= previous.rules.length
  }
  const slots = entry.rules.length
  // A list longer than the whole budget is made again at every request instead.
  if (slots > budget.maxSlots) return
  if (budget.entries + 1 > budget.maxEntries || budget.slots + slots > budget.maxSlots) {
    for (const full of budget.memos) full.clear()
    budget.memos.clear()
    budget.entries = 0
    budget.slots = 0
  }
  memo.set(name, entry)
  budget.memos.add(memo)
  budget.entries++
  budget.slots += slots
}

/**
 * The bucket's rules that can match this request as far as its action and resource tell, in
 * (layer, id) order: from the memo when the resource was seen with the same kind, groups and
 * risk class, made and remembered otherwise.
 */
export const candidatesOf = (bucket: Bucket, request: PolicyRequest): ReadonlyArray<CompiledRule> => {
  const resource = request.resource
  const kept = bucket.memo.get(resource.name)
  if (
    kept !== undefined &&
    kept.action === request.action &&
    kept.kind === resource.kind &&
    kept.riskClass === resource.riskClass &&
    sameGroups(kept.groups, resource.groups)
  )
    return kept.rules
  const rules = collect(bucket, request)
  remember(bucket, resource.name, {
    action: request.action,
    kind: resource.kind,
    groups: keptGroups(resource.groups),
    riskClass: resource.riskClass,
    rules
  })
  return rules
}
