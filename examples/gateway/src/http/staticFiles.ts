import { readFileSync } from "node:fs"
import { join } from "node:path"

/** One file of the admin UI, read once at startup. */
export interface StaticFile {
  readonly body: Buffer
  readonly contentType: string
}

const types: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml"
}

/** The files of the admin UI that may be served; nothing else in the folder is reachable. */
export const adminFiles = ["index.html", "app.js", "api.js", "views.js", "dom.js", "style.css"] as const

/** Reads the admin UI from `dir` into memory: a fixed list of files, so no path from a request reaches the disk. */
export const loadAdminFiles = (dir: string): ReadonlyMap<string, StaticFile> =>
  new Map(
    adminFiles.map((name) => {
      const ext = name.slice(name.lastIndexOf("."))
      return [
        name,
        { body: readFileSync(join(dir, name)), contentType: types[ext] ?? "application/octet-stream" }
      ]
    })
  )

/**
 * Headers of every admin UI response. The content security policy allows scripts and styles
 * from the gateway itself only (no inline script, no eval), requests to the gateway only, and
 * no framing, so an injected string cannot run or exfiltrate the key kept in sessionStorage.
 */
export const adminHeaders: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-cache"
}
