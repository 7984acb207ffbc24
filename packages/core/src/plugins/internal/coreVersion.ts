import { readFileSync } from "node:fs"

/** The running @bga/core version, read from its package.json (shipped next to `dist`). */
export const coreVersion: string = (
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }
).version
