/**
 * An index of rule lists by name prefix (`crm.*`) or suffix (`*.example.com`). Affixes are
 * grouped by length; a lookup hashes the name's first (or last) n characters once per length
 * present, looks the hash up and confirms with `startsWith`/`endsWith`. Many globs then cost
 * about what one does, and nothing is allocated.
 */
export interface AffixIndex<A> {
  readonly suffix: boolean
  readonly groups: Array<AffixGroup<A>>
}

interface AffixGroup<A> {
  readonly length: number
  readonly table: Map<number, Array<AffixEntry<A>>>
}

interface AffixEntry<A> {
  readonly affix: string
  readonly items: Array<A>
}

/** An empty index of prefixes (or, with `suffix`, of suffixes). */
export const emptyAffixIndex = <A>(suffix: boolean): AffixIndex<A> => ({ suffix, groups: [] })

const hashRange = (text: string, start: number, end: number): number => {
  let h = 0
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0
  return h
}

/** Adds `item` under `affix`. */
export const insertAffix = <A>(index: AffixIndex<A>, affix: string, item: A): void => {
  let group = index.groups.find((g) => g.length === affix.length)
  if (group === undefined) {
    group = { length: affix.length, table: new Map() }
    index.groups.push(group)
    index.groups.sort((a, b) => a.length - b.length)
  }
  const hash = hashRange(affix, 0, affix.length)
  const entries = group.table.get(hash) ?? []
  if (entries.length === 0) group.table.set(hash, entries)
  const entry = entries.find((e) => e.affix === affix)
  if (entry) entry.items.push(item)
  else entries.push({ affix, items: [item] })
}

/** Calls `visit` with every list stored under a prefix (or suffix) of `value`. */
export const lookupAffixes = <A, C>(
  index: AffixIndex<A>,
  value: string,
  visit: (items: ReadonlyArray<A>, context: C) => void,
  context: C
): void => {
  const groups = index.groups
  const length = value.length
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!
    if (group.length > length) return
    const start = index.suffix ? length - group.length : 0
    const entries = group.table.get(hashRange(value, start, start + group.length))
    if (entries === undefined) continue
    for (let e = 0; e < entries.length; e++) {
      const entry = entries[e]!
      if (index.suffix ? value.endsWith(entry.affix) : value.startsWith(entry.affix))
        visit(entry.items, context)
    }
  }
}
