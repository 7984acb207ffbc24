import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { hostname, networkInterfaces, tmpdir } from "node:os"
import { join } from "node:path"
import { newId } from "@bga/core"
import {
  ExecResult,
  type ExecToolContext,
  invokeExecTool,
  type SandboxDriverShape,
  type SandboxLane
} from "@bga/core/sandbox"
import { Schema } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import type { EngineClient } from "../src/internal/engine.js"
import { describeWithEngine, openEffectDriver, processesOf, scopeContainers } from "./support/engine.js"

const scope = "test-escape"
const pidsLimit = 64
const memoryBytes = 64 * 1024 * 1024

/** Host processes (kernel view, all of /proc) whose cgroup names the container. */
const hostProcessesIn = (containerId: string): number =>
  readdirSync("/proc")
    .filter((entry) => /^\d+$/u.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cgroup`, "utf8").includes(containerId)
      } catch {
        return false // the process ended while we looked
      }
    }).length

describeWithEngine("escape and abuse attempts from inside a lane", (engine: EngineClient) => {
  let sandbox: Awaited<ReturnType<typeof openEffectDriver>>
  let driver: SandboxDriverShape
  let lane: SandboxLane
  let containerId: string

  /** Runs the exec tool (the path a model's call takes) and checks its result is the typed contract. */
  const execTool = async (args: Record<string, unknown>) => {
    const context: ExecToolContext = {
      customerInstanceId: "acme",
      riskyExecution: "sandbox_only",
      sandbox: { driver, lane },
      outputLimitBytes: 64 * 1024
    }
    const result = await sandbox.run(invokeExecTool(args, context))
    return Schema.decodeUnknownSync(ExecResult)(result)
  }

  /** After each attempt the lane must still work and hold nothing but its own init and keep-alive. */
  const expectLaneClean = async () => {
    const again = await execTool({ command: ["echo", "still fine"], timeoutMs: 10_000 })
    expect(again).toMatchObject({ status: "exited", exitCode: 0, stdout: "still fine\n" })
    const processes = await processesOf(engine, containerId)
    expect(processes).toHaveLength(2)
    expect(processes.join("\n")).toContain("docker-init")
  }

  beforeAll(async () => {
    sandbox = await openEffectDriver(scope, { limits: { pids: pidsLimit, memoryBytes, cpus: 1 } })
    driver = sandbox.driver
    lane = await sandbox.run(driver.acquire({ customerInstanceId: "acme" }))
    const [container] = await scopeContainers(engine, scope)
    containerId = container?.Id ?? ""
    expect(containerId).not.toBe("")
  })

  afterAll(async () => {
    await sandbox?.close()
    expect(await scopeContainers(engine, scope)).toEqual([])
  })

  it("cannot reach the network, not even a server listening on the host", async () => {
    const connections: Array<string> = []
    const server: Server = createServer((socket) => {
      connections.push(String(socket.remoteAddress))
      socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve))
    const port = (server.address() as { port: number }).port
    const hostAddresses = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && a.family === "IPv4")
      .map((a) => a!.address)
    try {
      const targets = [...new Set([...hostAddresses, "127.0.0.1", "172.17.0.1", "1.1.1.1"])]
      const script = [
        "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '",
        ...targets.map((ip) => `if nc -w 2 ${ip} ${port} </dev/null; then echo "REACHED ${ip}"; fi`),
        "wget -q -T 2 -O- http://example.com/ && echo REACHED-DNS",
        "true"
      ].join("\n")
      const result = await execTool({ command: script, timeoutMs: 20_000 })
      expect(result.status).toBe("exited")
      expect(result.stdout.trim().split("\n")).toEqual(["lo"])
      expect(result.stdout).not.toContain("REACHED")
      expect(connections).toEqual([])
    } finally {
      server.close()
    }
    await expectLaneClean()
  })

  it("cannot write the root filesystem", async () => {
    const result = await execTool({
      command:
        "for p in /etc/pwned /bin/pwned /pwned /usr/pwned; do echo x > $p; done; mkdir /pwned-dir; echo done",
      timeoutMs: 10_000
    })
    expect(result.status).toBe("exited")
    expect(result.stderr.match(/Read-only file system/gu)?.length).toBeGreaterThanOrEqual(5)
    // The engine's own diff of the container against its image: nothing but the mount point it
    // made itself for docker-init.
    const changes = await engine.call<ReadonlyArray<{ Path: string }> | null>(
      "GET",
      `/containers/${containerId}/changes`
    )
    const paths = (changes.body ?? []).map((c) => c.Path)
    const initPaths = paths.filter((p) => p.endsWith("/docker-init"))
    const written = paths.filter((p) => !initPaths.some((init) => init === p || init.startsWith(`${p}/`)))
    expect(written).toEqual([])
    await expectLaneClean()
  })

  it("stops a fork bomb at the pids limit and leaves the host's process table alone", async () => {
    // The bomb runs in a subshell; afterwards the outer shell reads its lane's pids cgroup (v1 or
    // v2 layout) with builtins only, since forking may still be impossible at that point.
    const result = await execTool({
      command: [
        "cd /sys/fs/cgroup/pids 2>/dev/null || cd /sys/fs/cgroup",
        "(b() { while :; do b & done; }; b)",
        "read -r max < pids.max",
        'while read -r key value; do [ "$key" = max ] && echo "refused $value"; done < pids.events',
        'echo "limit $max"'
      ].join("; "),
      timeoutMs: 15_000
    })
    expect(result.status).toBe("exited")
    expect(result.stderr).toMatch(/can't fork|cannot fork|Resource temporarily unavailable/iu)
    expect(result.stdout).toContain(`limit ${pidsLimit}`)
    expect(Number(/refused (\d+)/u.exec(result.stdout)?.[1])).toBeGreaterThan(0)
    // Whatever the bomb left running was killed with a lane reset: in the host's own process
    // table, the lane's cgroup holds just its init and keep-alive again.
    await expectLaneClean()
    expect(hostProcessesIn(containerId)).toBe(2)
  })

  it("kills a memory bomb at the memory limit and reports it as such", async () => {
    const result = await execTool({
      command: 'x=aaaaaaaaaaaaaaaa; while :; do x="$x$x"; done',
      timeoutMs: 20_000
    })
    expect(result.status).toBe("oom_killed")
    expect(result.exitCode).toBe(137)
    const inspect = await engine.call<{ State: { Running: boolean } }>(
      "GET",
      `/containers/${containerId}/json`
    )
    expect(inspect.body.State.Running).toBe(true)
    // The lane's memory cgroup (v1 or v2 layout): its ceiling, and the most it ever got from the
    // host, which is no more than that ceiling.
    const cgroup = await execTool({
      command:
        "cd /sys/fs/cgroup/memory 2>/dev/null && cat memory.limit_in_bytes memory.max_usage_in_bytes || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.peak",
      timeoutMs: 5_000
    })
    const [limit, peak] = cgroup.stdout.trim().split("\n").map(Number)
    expect(limit).toBe(memoryBytes)
    expect(peak).toBeLessThanOrEqual(memoryBytes)
    expect(peak).toBeGreaterThan(memoryBytes / 2)
    await expectLaneClean()
  })

  it("cannot read host files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bga-host-"))
    const secret = `host-secret-${newId()}`
    const marker = join(dir, "marker.txt")
    writeFileSync(marker, secret)
    try {
      const result = await execTool({
        command: [
          `cat ${marker}`,
          `cat /proc/1/root${marker}`,
          `ls ${dir}`,
          `grep -rl ${secret} /tmp /workspace /etc /home /root 2>/dev/null`,
          `find / -xdev -name marker.txt 2>/dev/null`,
          "cat /etc/passwd",
          "hostname",
          "true"
        ].join("; "),
        timeoutMs: 20_000
      })
      expect(result.status).toBe("exited")
      expect(result.stdout).not.toContain(secret)
      expect(result.stdout).not.toContain("marker.txt")
      expect(result.stderr).toContain("No such file or directory")
      // The lane sees its image's users, not the host's, and its own name.
      expect(result.stdout).toContain("nobody:x:65534")
      expect(result.stdout).not.toContain(`\n${hostname()}\n`)
      const inspect = await engine.call<{ Mounts: ReadonlyArray<unknown>; HostConfig: { Binds: unknown } }>(
        "GET",
        `/containers/${containerId}/json`
      )
      expect(inspect.body.Mounts).toEqual([])
      expect(inspect.body.HostConfig.Binds ?? []).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    await expectLaneClean()
  })

  it("kills a command that outlives its timeout and leaves the lane clean", async () => {
    await execTool({ command: "echo left-over > /tmp/state", timeoutMs: 5_000 })
    const started = Date.now()
    const result = await execTool({ command: "echo started; sleep 60; echo never", timeoutMs: 1_000 })
    expect(result).toMatchObject({
      status: "timed_out",
      exitCode: null,
      stdout: "started\n",
      truncated: false
    })
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(result.durationMs).toBeGreaterThanOrEqual(1_000)
    const processes = await processesOf(engine, containerId)
    expect(processes.join("\n")).not.toContain("sleep 60")
    // Same container, fresh state: /tmp was emptied by the reset.
    const after = await execTool({ command: "cat /tmp/state 2>&1; hostname", timeoutMs: 5_000 })
    expect(after.stdout).toContain("No such file")
    await expectLaneClean()
  })

  it("cannot gain privileges: no capabilities, no-new-privileges, not root", async () => {
    const result = await execTool({
      command: "id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; chown 0 /tmp 2>&1; true",
      timeoutMs: 10_000
    })
    expect(result.stdout).toContain("65534\n")
    expect(result.stdout).toMatch(/CapEff:\s+0000000000000000/u)
    expect(result.stdout).toMatch(/CapBnd:\s+0000000000000000/u)
    expect(result.stdout).toMatch(/NoNewPrivs:\s+1/u)
    expect(result.stdout).toContain("Operation not permitted")
  })

  it("runs the exec tool to a typed result even for a failing command", async () => {
    const result = await execTool({ command: ["sh", "-c", "echo out; echo err >&2; exit 3"] })
    expect(result).toMatchObject({ status: "exited", exitCode: 3, stdout: "out\n", stderr: "err\n" })
  })
})
