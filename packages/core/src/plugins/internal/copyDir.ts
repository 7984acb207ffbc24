import {
  constants,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  symlinkSync
} from "node:fs"
import { join } from "node:path"
import { type PluginError, pluginError } from "../PluginError.js"
import { hasBadChar, type PackageLimits, resolveInside } from "./scan.js"

/**
 * Copies a plugin folder into an empty staging folder without following links: regular files
 * and folders are copied, symlinks that stay inside are recreated last, and anything else
 * (devices, sockets, FIFOs, links leaving the folder) is refused. The top-level `node_modules`
 * and `.git` are not copied: dependencies are installed from package.json instead.
 */
export const copyPackageDir = (source: string, dest: string, limits: PackageLimits, plugin: string): void => {
  const refuse = (detail: string): PluginError => pluginError("unsafe-package", plugin, detail)
  const links: Array<{ path: string; target: string }> = []
  let files = 0
  let total = 0
  const stack: Array<{ rel: string; depth: number }> = [{ rel: "", depth: 0 }]
  while (stack.length > 0) {
    const { rel, depth } = stack.pop()!
    if (depth > limits.maxDepth) throw refuse(`${rel} is nested deeper than ${limits.maxDepth} folders`)
    for (const name of readdirSync(join(source, rel))) {
      if (rel === "" && (name === "node_modules" || name === ".git")) continue
      const path = rel === "" ? name : `${rel}/${name}`
      if (hasBadChar(name))
        throw refuse(`${JSON.stringify(path)} has a control, backslash or undecodable character`)
      const stat = lstatSync(join(source, path))
      if (stat.isDirectory()) {
        mkdirSync(join(dest, path))
        stack.push({ rel: path, depth: depth + 1 })
      } else if (stat.isFile()) {
        if (++files > limits.maxFiles) throw refuse(`the package has more than ${limits.maxFiles} files`)
        if (stat.size > limits.maxFileBytes)
          throw refuse(`${path} is ${stat.size} bytes, over the limit of ${limits.maxFileBytes}`)
        total += stat.size
        if (total > limits.maxTotalBytes)
          throw refuse(`the package is larger than ${limits.maxTotalBytes} bytes`)
        copyFileSync(join(source, path), join(dest, path), constants.COPYFILE_EXCL)
      } else if (stat.isSymbolicLink()) {
        const target = readlinkSync(join(source, path))
        if (resolveInside(path, target) === undefined)
          throw refuse(`symlink ${path} -> ${target} leaves the plugin folder`)
        links.push({ path, target })
      } else {
        throw refuse(
          `${path} is not a regular file, folder or symlink (devices, sockets and FIFOs are refused)`
        )
      }
    }
  }
  for (const link of links) symlinkSync(link.target, join(dest, link.path))
}
