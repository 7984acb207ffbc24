import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { pluginError } from "../PluginError.js"

const run = (command: string, args: ReadonlyArray<string>, cwd: string, plugin: string, timeoutMs: number) =>
  new Promise<string>((resolve, reject) => {
    execFile(
      command,
      [...args],
      {
        cwd,
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        // Belt and braces: npm must never run a lifecycle script of a package being vetted.
        env: {
          ...process.env,
          npm_config_ignore_scripts: "true",
          npm_config_audit: "false",
          npm_config_fund: "false"
        }
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            pluginError(
              "install-failed",
              plugin,
              `${command} ${args[0]} failed: ${(stderr || error.message).trim().split("\n").slice(-5).join(" | ")}`
            )
          )
        } else resolve(stdout)
      }
    )
  })

/**
 * Fetches a package from the npm registry as a tarball with `npm pack` (no lifecycle scripts).
 * Returns the tarball path inside `dest`.
 */
export const npmPack = async (
  spec: string,
  dest: string,
  options: { readonly npmCommand: string; readonly timeoutMs: number }
): Promise<string> => {
  if (spec.startsWith("-")) throw pluginError("install-failed", spec, "an npm spec cannot start with '-'")
  const out = await run(
    options.npmCommand,
    ["pack", spec, "--pack-destination", dest, "--ignore-scripts", "--json"],
    dest,
    spec,
    options.timeoutMs
  )
  let filename: unknown
  try {
    filename = (JSON.parse(out) as Array<{ filename?: unknown }>)[0]?.filename
  } catch {
    filename = undefined
  }
  if (typeof filename !== "string" || filename.includes("/") || filename.includes("\\")) {
    throw pluginError("install-failed", spec, "npm pack did not report a tarball")
  }
  return join(dest, filename)
}

/** True when package.json declares runtime dependencies. */
export const hasDependencies = (packageDir: string): boolean => {
  try {
    const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
      dependencies?: unknown
    }
    return (
      typeof pkg.dependencies === "object" &&
      pkg.dependencies !== null &&
      Object.keys(pkg.dependencies).length > 0
    )
  } catch {
    return false
  }
}

/**
 * Installs a verified package's runtime dependencies: no lifecycle scripts, no dev
 * dependencies, no bin links, and local dependencies copied rather than linked (a link would
 * point outside the plugin folder and be refused).
 */
export const npmInstallDependencies = (
  packageDir: string,
  plugin: string,
  options: { readonly npmCommand: string; readonly timeoutMs: number }
): Promise<string> =>
  run(
    options.npmCommand,
    [
      "install",
      "--omit=dev",
      "--ignore-scripts",
      "--no-bin-links",
      "--install-links",
      "--no-package-lock",
      "--no-audit",
      "--no-fund"
    ],
    packageDir,
    plugin,
    options.timeoutMs
  )
