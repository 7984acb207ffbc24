import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, realpathSync, rmdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/**
 * Builds the isolated process's whole file system view inside a fresh mount namespace: an
 * empty read-only tmpfs root holding, read-only, the system library folders (for the Node
 * binary), the Node binary, the plugin package at /plugin and the child runtime at /bga/child.
 * No /etc, /home, /tmp, /run or /proc: no host files and no host Unix sockets to reach.
 * Arguments: root, node binary, plugin folder, child runtime folder, then Node's arguments.
 */
const SANDBOX_SCRIPT = `set -eu
R="$1"; NODE="$2"; PLUGIN="$3"; CHILD="$4"; shift 4
mount -t tmpfs -o mode=0755,size=1m bga-plugin-root "$R"
mkdir "$R/usr" "$R/plugin" "$R/bga" "$R/bga/child" "$R/dev"
for d in lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$R/$d"
  elif [ -d "/$d" ]; then mkdir "$R/$d"; mount --rbind "/$d" "$R/$d"; mount -o remount,bind,ro "$R/$d"; fi
done
mount --rbind /usr "$R/usr"; mount -o remount,bind,ro "$R/usr"
mount --bind "$PLUGIN" "$R/plugin"; mount -o remount,bind,ro "$R/plugin"
mount --bind "$CHILD" "$R/bga/child"; mount -o remount,bind,ro "$R/bga/child"
touch "$R/bga/node" "$R/dev/null"
mount --bind "$NODE" "$R/bga/node"; mount --bind /dev/null "$R/dev/null"
mount -o remount,bind,ro "$R"
unset PWD OLDPWD
exec chroot "$R" /bga/node "$@"
`

/** How isolated plugin processes are started on this machine. */
export interface SandboxLauncher {
  /** The namespace command, e.g. `unshare --user --map-root-user --mount --net`. */
  readonly command: ReadonlyArray<string>
  readonly description: string
}

/**
 * Folder of the compiled child runtime, mounted read-only into the sandbox. Always the built
 * `dist` copy (also when this module runs from sources under a test runner): the sandbox runs
 * plain Node, which loads JavaScript.
 */
export const childRuntimeDir = (): string =>
  join(fileURLToPath(new URL("../../../", import.meta.url)), "dist", "plugins", "internal", "child")

const findUnshare = (): string | undefined =>
  ["/usr/bin/unshare", "/bin/unshare", "/usr/sbin/unshare"].find((p) => existsSync(p))

/**
 * Removes a sandbox root mount point. It is empty on the host (the tmpfs and binds lived in the
 * sandbox's own mount namespace); `rmdir` never deletes contents, whatever happens.
 */
const removeEmptyDir = (path: string): void => {
  try {
    rmdirSync(path)
  } catch {}
}

const safeEnv = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" }

/** Starts `node <nodeArgs>` inside the sandbox; returns the child and a cleanup for its root folder. */
export const spawnSandboxed = (
  launcher: SandboxLauncher,
  packageDir: string,
  nodeArgs: ReadonlyArray<string>
) => {
  const root = mkdtempSync(join(tmpdir(), "bga-plugin-root-"))
  const child = spawn(
    launcher.command[0]!,
    [
      ...launcher.command.slice(1),
      "--",
      "/bin/sh",
      "-c",
      SANDBOX_SCRIPT,
      "bga-sandbox",
      root,
      realpathSync(process.execPath),
      realpathSync(packageDir),
      realpathSync(childRuntimeDir()),
      ...nodeArgs
    ],
    // No host environment (it may hold secrets), no shell expansion of arguments.
    { stdio: ["pipe", "pipe", "pipe"], env: safeEnv, detached: false }
  )
  const cleanup = () => removeEmptyDir(root)
  return { child, cleanup }
}

let detected: Promise<SandboxLauncher | { readonly unavailable: string }> | undefined

/**
 * Finds a way to start isolated plugins: util-linux `unshare` with a private network and mount
 * namespace, directly when running as root, else inside an unprivileged user namespace. Each
 * candidate is probed by really starting Node in the sandbox; the first that works is kept
 * for the life of the process. Returns why not when none works.
 */
export const detectSandboxLauncher = (): Promise<SandboxLauncher | { readonly unavailable: string }> => {
  detected ??= (async () => {
    if (process.platform !== "linux") {
      return { unavailable: `isolated plugins need Linux namespaces; this is ${process.platform}` }
    }
    const unshare = findUnshare()
    if (unshare === undefined) return { unavailable: "util-linux unshare was not found (/usr/bin/unshare)" }
    const candidates: Array<SandboxLauncher> = []
    if (process.getuid?.() === 0) {
      candidates.push({
        command: [unshare, "--mount", "--net"],
        description: "unshare --mount --net (as root)"
      })
    }
    candidates.push({
      command: [unshare, "--user", "--map-root-user", "--mount", "--net"],
      description: "unshare --user --map-root-user --mount --net"
    })
    const failures: Array<string> = []
    const probeDir = mkdtempSync(join(tmpdir(), "bga-plugin-probe-"))
    try {
      for (const candidate of candidates) {
        const root = mkdtempSync(join(tmpdir(), "bga-plugin-root-"))
        const result = spawnSync(
          candidate.command[0]!,
          [
            ...candidate.command.slice(1),
            "--",
            "/bin/sh",
            "-c",
            SANDBOX_SCRIPT,
            "bga-sandbox",
            root,
            realpathSync(process.execPath),
            probeDir,
            realpathSync(childRuntimeDir()),
            "--permission",
            "-e",
            "process.stdout.write('ok')"
          ],
          { env: safeEnv, encoding: "utf8", timeout: 15_000 }
        )
        removeEmptyDir(root)
        if (result.status === 0 && result.stdout === "ok") return candidate
        failures.push(
          `${candidate.description}: ${(result.stderr || result.error?.message || `exit ${result.status}`).trim()}`
        )
      }
    } finally {
      rmSync(probeDir, { recursive: true, force: true })
    }
    return {
      unavailable: `no network/mount namespace sandbox could be started (${failures.join("; ")}); enable unprivileged user namespaces or run the host as root`
    }
  })()
  return detected
}
