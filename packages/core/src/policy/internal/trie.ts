/**
 * A character trie of rule lists, for `prefix*` and `*suffix` globs: a lookup walks the name
 * once (from the start for prefixes, from the end for suffixes) and visits only the patterns
 * that match it, without allocating. Many globs then cost what one does.
 */
export interface Trie<A> {
  items: Array<A> | undefined
  next: Map<number, Trie<A>> | undefined
}

/** An empty trie. */
export const emptyTrie = <A>(): Trie<A> => ({ items: undefined, next: undefined })

/** Adds `item` under `key`, read forwards (prefixes) or backwards (suffixes). */
export const insert = <A>(trie: Trie<A>, key: string, item: A, backwards: boolean): void => {
  let node = trie
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(backwards ? key.length - 1 - i : i)
    node.next ??= new Map()
    let child = node.next.get(code)
    if (child === undefined) {
      child = emptyTrie()
      node.next.set(code, child)
    }
    node = child
  }
  node.items ??= []
  node.items.push(item)
}

/** True when nothing was inserted. */
export const isEmpty = <A>(trie: Trie<A>): boolean => trie.items === undefined && trie.next === undefined

/** Calls `visit` with every list stored under a prefix (or suffix) of `value`. */
export const walk = <A, C>(
  trie: Trie<A>,
  value: string,
  backwards: boolean,
  visit: (items: ReadonlyArray<A>, context: C) => void,
  context: C
): void => {
  let node: Trie<A> | undefined = trie
  if (node.items !== undefined) visit(node.items, context)
  const length = value.length
  for (let i = 0; i < length; i++) {
    node = node.next?.get(value.charCodeAt(backwards ? length - 1 - i : i))
    if (node === undefined) return
    if (node.items !== undefined) visit(node.items, context)
  }
}
