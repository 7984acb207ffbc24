import { formatPath } from "../../json/path.js"

/** Arguments as an approver or auditor may see them: declared sensitive keys replaced. */
export const argsPreview = (
  args: unknown,
  redactKeys: ReadonlyArray<string>
): { readonly value: unknown; readonly redactedPaths: ReadonlyArray<string> } => {
  if (redactKeys.length === 0 || typeof args !== "object" || args === null || Array.isArray(args)) {
    return { value: args ?? null, redactedPaths: [] }
  }
  const value: Record<string, unknown> = {}
  const redactedPaths: Array<string> = []
  for (const [key, inner] of Object.entries(args)) {
    const hidden = redactKeys.includes(key)
    if (hidden) redactedPaths.push(formatPath([key]))
    Object.defineProperty(value, key, {
      value: hidden ? "[REDACTED]" : inner,
      enumerable: true,
      writable: true,
      configurable: true
    })
  }
  return { value, redactedPaths }
}
