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
//
// A resource is kept from the second time a bucket sees it: a name asked about once (a host
// fetched once) would otherwise cost an entry that outlives its use, and an agent browsing the
// web asks about many such names. The first time, the evaluator walks the bucket directly.

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
  /** About how many 8-byte words the entry holds: see `sizeOf`. */
  readonly size: number
}

/**
 * What the memos of one policy may hold together: entries, and their sizes in 8-byte words.
 * When a new entry would exceed either, every memo of the policy is emptied and fills again.
 */
export interface MemoBudget {
  readonly maxEntries: number
  readonly maxWords: number
  entries: number
  words: number
  /** The memos holding entries, emptied together. */
  readonly memos: Set<Map<string, Candidates>>
}

/**
 * A budget for one policy. The defaults (32,768 entries, 2 MiB of lists, keys and groups) bound
 * the memos to about 6 MiB with the maps' own overhead, whatever the requests name; typical
 * deployments stay far below.
 */
export const makeMemoBudget = (
  limits: { readonly maxEntries?: number; readonly maxWords?: number } = {}
): MemoBudget => ({
  maxEntries: limits.maxEntries ?? 32_768,
  maxWords: limits.maxWords ?? 262_144,
  entries: 0,
  words: 0,
  memos: new Set<Map<string, Candidates>>()
})

/**
 * About how many 8-byte words an entry holds: its own fields, its list of rules, and the text
 * of the name and groups it keeps (names reach 512 characters, a tool 64 groups).
 */
const sizeOf = (name: string, groups: ReadonlyArray<string> | undefined, rules: number): number => {
  let chars = name.length
  if (groups !== undefined) for (let i = 0; i < groups.length; i++) chars += groups[i]!.length + 8
  return 8 + rules + Math.ceil(chars / 8)
}

const none: ReadonlyArray<CompiledRule> = Object.freeze([])

/** Called once per candidate of a walk. */
export type Visit = (rule: CompiledRule, request: PolicyRequest) => void

// Walk state: a rule reachable through several index keys is visited once per walk.
let stamp = 0
let visit: Visit = () => {}

const visitList = (list: ReadonlyArray<CompiledRule> | undefined, request: PolicyRequest) => {
  if (list === undefined) return
  for (let i = 0; i < list.length; i++) {
    const rule = list[i]!
    if (rule.seen === stamp) continue
    rule.seen = stamp
    if (matchesResource(rule.matcher!, request)) visit(rule, request)
  }
}

/**
 * Calls `f` once for every rule of the bucket whose action and resource constraints the
 * request meets, in no particular order: every index key looked up, each rule visited once.
 * Not re-entrant: `f` must not walk a bucket itself.
 */
export const forEachCandidate = (bucket: Bucket, request: PolicyRequest, f: Visit): void => {
  stamp++
  visit = f
  const resource = request.resource
  if (bucket.byName !== undefined) visitList(bucket.byName.get(resource.name), request)
  // Groups hold tools only: a host or plugin claiming a group is in none.
  if (bucket.byGroup !== undefined && resource.groups !== undefined && resource.kind === "tool") {
    const groups = resource.groups
    for (let i = 0; i < groups.length; i++) visitList(bucket.byGroup.get(groups[i]!), request)
  }
  if (bucket.byRisk !== undefined && resource.riskClass !== undefined)
    visitList(bucket.byRisk.get(resource.riskClass), request)
  if (bucket.prefixes !== undefined) lookupAffixes(bucket.prefixes, resource.name, visitList, request)
  if (bucket.suffixes !== undefined) lookupAffixes(bucket.suffixes, resource.name, visitList, request)
  if (bucket.rest !== undefined) visitList(bucket.rest, request)
}

// Rules gathered while making one list; reused, never escapes.
const gathered: Array<CompiledRule> = []
let count = 0

const gather = (rule: CompiledRule) => {
  gathered[count++] = rule
}

/** Every rule of the bucket whose action and resource constraints the request meets, in order. */
const collect = (bucket: Bucket, request: PolicyRequest): ReadonlyArray<CompiledRule> => {
  count = 0
  forEachCandidate(bucket, request, gather)
  if (count === 0) return none
  // Insertion sort: each index list is in order already, so this only merges a few runs.
  for (let i = 1; i < count; i++) {
    const rule = gathered[i]!
    let j = i - 1
    while (j >= 0 && gathered[j]!.ordinal > rule.ordinal) {
      gathered[j + 1] = gathered[j]!
      j--
    }
    gathered[j + 1] = rule
  }
  return gathered.slice(0, count)
}

// Names each bucket has seen once, as hashes salted by the bucket: a collision only keeps a
// resource one sighting early or late.
const sightings = new Int32Array(65_536)

/** True when the bucket has seen the name before (and, either way, records this sighting). */
const seenBefore = (bucket: Bucket, name: string): boolean => {
  let h = bucket.salt
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193)
  h |= 1
  const slot = (h >>> 8) & (sightings.length - 1)
  if (sightings[slot] === h) return true
  sightings[slot] = h
  return false
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
    budget.words -= previous.size
  }
  // An entry larger than the whole budget is made again at every request instead.
  if (entry.size > budget.maxWords) return
  if (budget.entries + 1 > budget.maxEntries || budget.words + entry.size > budget.maxWords) {
    for (const full of budget.memos) full.clear()
    budget.memos.clear()
    budget.entries = 0
    budget.words = 0
  }
  memo.set(name, entry)
  budget.memos.add(memo)
  budget.entries++
  budget.words += entry.size
}

/**
 * The bucket's rules that can match this request as far as its action and resource tell, in
 * (layer, id) order: from the memo when the resource was kept with the same kind, groups and
 * risk class; otherwise made, and kept. Undefined the first time the bucket sees the name: walk
 * the bucket with `forEachCandidate` then, which makes no list.
 */
export const candidatesOf = (
  bucket: Bucket,
  request: PolicyRequest
): ReadonlyArray<CompiledRule> | undefined => {
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
  if (kept === undefined && !seenBefore(bucket, resource.name)) return undefined
  const rules = collect(bucket, request)
  remember(bucket, resource.name, {
    action: request.action,
    kind: resource.kind,
    groups: keptGroups(resource.groups),
    riskClass: resource.riskClass,
    rules,
    size: sizeOf(resource.name, resource.groups, rules.length)
  })
  return rules
}
