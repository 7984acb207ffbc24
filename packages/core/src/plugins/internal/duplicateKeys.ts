import { parse, type ValueNode } from "@humanwhocodes/momoa"
import type { JsonProblem } from "../../json/JsonError.js"
import { formatPath } from "../../json/path.js"

/**
 * Every object key that appears twice in JSON text. `JSON.parse` silently keeps the last one,
 * so a reviewer and a verifier could read two different manifests from the same bytes; the
 * JSON AST keeps both. Call only on text that already passed the size and depth limits.
 */
export const findDuplicateKeys = (text: string): Array<JsonProblem> => {
  const problems: Array<JsonProblem> = []
  const path: Array<PropertyKey> = []
  const visit = (node: ValueNode): void => {
    if (node.type === "Object") {
      const seen = new Set<string>()
      for (const member of node.members) {
        const key = member.name.type === "String" ? member.name.value : member.name.name
        path.push(key)
        if (seen.has(key)) {
          problems.push({
            path: formatPath(path),
            message: `duplicate key "${key}" (line ${member.loc.start.line}); each key may appear once`
          })
        }
        seen.add(key)
        visit(member.value)
        path.pop()
      }
    } else if (node.type === "Array") {
      node.elements.forEach((element, index) => {
        path.push(index)
        visit(element.value)
        path.pop()
      })
    }
  }
  visit(parse(text, { mode: "json" }).body)
  return problems
}
