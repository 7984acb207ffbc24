import { createReadStream, mkdirSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { Parser, type ReadEntry } from "tar"
import { type PluginError, pluginError } from "../PluginError.js"
import { hasBadChar, type PackageLimits, resolveInside } from "./scan.js"

const fileTypes = new Set(["File", "OldFile", "ContiguousFile"])
/**
 * The safe relative path of a tar entry, or a reason to refuse it. Absolute paths, drive
 * letters, `..`, `.` or empty segments and control characters are refused, not rewritten:
 * an archive that tries them is hostile and nothing of it is kept.
 */
export const safeEntryPath = (raw: string): { readonly path: string } | { readonly refused: string } => {
  if (raw.length > 1024) return { refused: `entry path longer than 1024 characters` }
  if (hasBadChar(raw)) return { refused: `entry ${JSON.stringify(raw)} has a control or backslash character` }
  if (raw.startsWith("/") || /^[A-Za-z]:/u.test(raw)) return { refused: `entry ${raw} has an absolute path` }
  let path = raw
  while (path.startsWith("./")) path = path.slice(2)
  if (path.endsWith("/")) path = path.slice(0, -1)
  if (path === "" || path === ".") return { path: "" }
  const segments = path.split("/")
  if (segments.includes("..")) return { refused: `entry ${raw} climbs out of the package with ..` }
  if (segments.some((s) => s === "" || s === "."))
    return { refused: `entry ${raw} has an empty or . segment` }
  if (segments.length > 32) return { refused: `entry ${raw} is nested deeper than 32 folders` }
  return { path }
}

/**
 * Extracts a tarball (plain or gzip) into `dest`, which must be empty. Only regular files,
 * folders and symlinks are accepted; hard links, devices, FIFOs and unknown entry types are
 * refused, as are entries over the size limits. Symlinks are created last so no file is ever
 * written through one; the caller then scans the tree, which refuses links that resolve outside.
 * On refusal the caller discards `dest` whole.
 */
export const extractTarball = (
  file: string,
  dest: string,
  limits: PackageLimits,
  plugin: string
): Promise<void> =>
  new Promise((resolve, reject) => {
    let refused: PluginError | undefined
    let entries = 0
    let total = 0
    const links: Array<{ path: string; target: string }> = []
    const seen = new Set<string>()
    const stat = statSync(file)
    if (stat.size > limits.maxTotalBytes) {
      reject(
        pluginError(
          "unsafe-archive",
          plugin,
          `the tarball is ${stat.size} bytes, over ${limits.maxTotalBytes}`
        )
      )
      return
    }
    const input = createReadStream(file)
    const parser = new Parser({
      strict: true,
      maxDecompressionRatio: 100,
      onReadEntry: (entry: ReadEntry) => {
        if (refused) return void entry.resume()
        const fail = (detail: string) => {
          refused = pluginError("unsafe-archive", plugin, detail)
          entry.resume()
          input.destroy()
          parser.abort(refused)
        }
        if (++entries > limits.maxFiles) return fail(`the tarball has more than ${limits.maxFiles} entries`)
        const checked = safeEntryPath(entry.path)
        if ("refused" in checked) return fail(checked.refused)
        const { path } = checked
        if (path !== "" && seen.has(path)) return fail(`entry ${path} appears twice`)
        seen.add(path)
        const target = join(dest, path)
        if (entry.type === "Directory") {
          mkdirSync(target, { recursive: true })
          return void entry.resume()
        }
        if (entry.type === "SymbolicLink") {
          const linkpath = entry.linkpath ?? ""
          // The scan after extraction checks where each link really resolves; this quick lexical
          // check refuses the obvious escapes at once.
          if (resolveInside(path, linkpath) === undefined)
            return fail(`symlink ${path} -> ${linkpath} leaves the plugin folder`)
          links.push({ path, target: linkpath })
          return void entry.resume()
        }
        if (entry.type === "Link") return fail(`entry ${path} is a hard link; hard links are refused`)
        if (!fileTypes.has(entry.type))
          return fail(`entry ${path} is a ${entry.type}; only files, folders and symlinks are accepted`)
        if (entry.size > limits.maxFileBytes)
          return fail(`entry ${path} is ${entry.size} bytes, over the limit of ${limits.maxFileBytes}`)
        total += entry.size
        if (total > limits.maxTotalBytes)
          return fail(`the unpacked tarball is larger than the limit of ${limits.maxTotalBytes} bytes`)
        const chunks: Array<Buffer> = []
        entry.on("data", (chunk: Buffer) => chunks.push(chunk))
        entry.on("end", () => {
          if (refused) return
          try {
            mkdirSync(dirname(target), { recursive: true })
            // `wx`: never overwrite and never write through an existing path (a link included).
            writeFileSync(target, Buffer.concat(chunks), { flag: "wx", mode: (entry.mode ?? 0o644) & 0o755 })
          } catch (error) {
            fail(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`)
          }
        })
      }
    })
    let done = false
    const finish = (error?: unknown) => {
      if (done) return
      done = true
      if (refused) return reject(refused)
      if (error) {
        return reject(
          pluginError("unsafe-archive", plugin, `not a readable tarball: ${(error as Error).message}`)
        )
      }
      try {
        for (const link of links) {
          mkdirSync(dirname(join(dest, link.path)), { recursive: true })
          symlinkSync(link.target, join(dest, link.path))
        }
      } catch (e) {
        return reject(pluginError("unsafe-archive", plugin, `cannot create symlink: ${(e as Error).message}`))
      }
      resolve()
    }
    input.on("error", (error) => finish(error))
    parser.on("error", (error: unknown) => finish(error))
    parser.on("abort", (error: unknown) => finish(error))
    parser.on("end", () => finish())
    input.pipe(parser as unknown as NodeJS.WritableStream)
  })
