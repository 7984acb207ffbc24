import { lstatSync, readdirSync, readlinkSync, realpathSync } from "node:fs"
import { join, posix, sep } from "node:path"
import { Result } from "effect"
import { type PluginError, pluginError } from "../PluginError.js"

/** Bounds on what a plugin package may contain; a package over any of them is refused. */
export interface PackageLimits {
  readonly maxFiles: number
  readonly maxFileBytes: number
  readonly maxTotalBytes: number
  readonly maxDepth: number
}

/** Limits used unless a host passes its own. */
export const defaultPackageLimits: PackageLimits = {
  maxFiles: 10_000,
  maxFileBytes: 64 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
  maxDepth: 32
}

/** A regular file or a symbolic link inside a package, by its relative POSIX path. */
export type PackageEntry =
  | { readonly kind: "file"; readonly path: string; readonly size: number }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string }

/**
 * True when a name holds a character a package path may not: controls, backslashes, or the
 * replacement character left by an undecodable file name.
 */
export const hasBadChar = (name: string): boolean => {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c < 0x20 || c === 0x7f || c === 0x5c || c === 0xfffd) return true
  }
  return false
}

/**
 * Where a relative symlink target lands, relative to the package root, or undefined when it
 * would leave the package (or is absolute, which breaks when the package moves).
 */
export const resolveInside = (linkPath: string, target: string): string | undefined => {
  if (target === "" || target.startsWith("/") || hasBadChar(target)) return undefined
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target))
  if (resolved === ".." || resolved.startsWith("../") || resolved.startsWith("/")) return undefined
  return resolved
}

/**
 * Walks a package without following links: regular files and symlinks that stay inside are
 * listed; a link leaving the folder, a device, socket or FIFO, an odd name, or a package over
 * the limits is refused. `skip` names top-level entries left out (e.g. `node_modules`).
 */
export const scanPackage = (
  root: string,
  plugin: string,
  options: { readonly skip?: ReadonlySet<string>; readonly limits?: PackageLimits } = {}
): Result.Result<Array<PackageEntry>, PluginError> => {
  const limits = options.limits ?? defaultPackageLimits
  const entries: Array<PackageEntry> = []
  let total = 0
  const refuse = (detail: string) => Result.fail(pluginError("unsafe-package", plugin, detail))
  let realRoot: string
  try {
    realRoot = realpathSync.native(root)
  } catch (error) {
    return refuse(`cannot read the package folder: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
  const stack: Array<{ readonly rel: string; readonly depth: number }> = [{ rel: "", depth: 0 }]
  while (stack.length > 0) {
    const { rel, depth } = stack.pop()!
    if (depth > limits.maxDepth) return refuse(`${rel} is nested deeper than ${limits.maxDepth} folders`)
    let names: Array<string>
    try {
      names = readdirSync(join(root, rel))
    } catch (error) {
      return refuse(`cannot read folder ${rel || "."}: ${(error as NodeJS.ErrnoException).code ?? error}`)
    }
    for (const name of names) {
      const path = rel === "" ? name : `${rel}/${name}`
      if (rel === "" && options.skip?.has(name)) continue
      if (hasBadChar(name))
        return refuse(`${JSON.stringify(path)} has a control, backslash or undecodable character`)
      const stat = lstatSync(join(root, path))
      if (stat.isDirectory()) {
        stack.push({ rel: path, depth: depth + 1 })
      } else if (stat.isFile()) {
        if (stat.size > limits.maxFileBytes)
          return refuse(`${path} is ${stat.size} bytes, over the limit of ${limits.maxFileBytes}`)
        total += stat.size
        if (total > limits.maxTotalBytes)
          return refuse(`the package is larger than the limit of ${limits.maxTotalBytes} bytes`)
        entries.push({ kind: "file", path, size: stat.size })
      } else if (stat.isSymbolicLink()) {
        const target = readlinkSync(join(root, path))
        // Lexically inside is not enough (`s -> .` then `l -> s/..` escapes), so the real
        // resolution through every link must land inside too; a dangling link is refused.
        let real: string | undefined
        try {
          real = realpathSync.native(join(root, path))
        } catch {
          real = undefined
        }
        if (
          resolveInside(path, target) === undefined ||
          real === undefined ||
          (real !== realRoot && !real.startsWith(realRoot + sep))
        )
          return refuse(`symlink ${path} -> ${target} leaves the plugin folder or does not resolve`)
        entries.push({ kind: "symlink", path, target })
      } else {
        return refuse(
          `${path} is not a regular file, folder or symlink (devices, sockets and FIFOs are refused)`
        )
      }
      if (entries.length > limits.maxFiles)
        return refuse(`the package has more than ${limits.maxFiles} files`)
    }
  }
  return Result.succeed(entries)
}
