import { describe, expect, it } from "vitest"
import { containerBody, isRootUser, type LaneConfig } from "../src/internal/containerSpec.js"
import { resolveOptions } from "../src/internal/options.js"
import { isOrphan, type OrphanPolicy } from "../src/internal/orphans.js"

const lane: LaneConfig = {
  laneId: "01a20b27-3780-779f-bc6d-1d1767ca91ba",
  image: "bga-sandbox:1",
  user: "65534:65534",
  hostname: "lane-1d1767ca91ba",
  labels: { "dev.bga.lane": "x" },
  network: "none",
  pids: 128,
  memoryBytes: 256 * 1024 * 1024,
  nanoCpus: 1e9,
  tmpSizeBytes: 64 * 1024 * 1024,
  volume: undefined,
  keepAliveCommand: ["sleep", "2147483647"]
}

describe("a lane container", () => {
  it("is created with every hardening setting", () => {
    const body = containerBody(lane)
    expect(body.User).toBe("65534:65534")
    expect(body.NetworkDisabled).toBe(true)
    expect(body.HostConfig).toMatchObject({
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      CapAdd: [],
      SecurityOpt: ["no-new-privileges:true"],
      Privileged: false,
      Init: true,
      PidsLimit: 128,
      Memory: 256 * 1024 * 1024,
      MemorySwap: 256 * 1024 * 1024,
      NanoCpus: 1e9,
      Binds: [],
      Mounts: [],
      PortBindings: {},
      PublishAllPorts: false,
      Devices: [],
      IpcMode: "private"
    })
    expect(body.HostConfig.Tmpfs["/tmp"]).toMatch(/noexec.*nosuid|nosuid.*noexec/u)
  })

  it("mounts only its own named volume, never a host path", () => {
    const body = containerBody({ ...lane, volume: "bga-ws-x" })
    expect(body.HostConfig.Binds).toEqual([])
    expect(body.HostConfig.Mounts).toEqual([
      { Type: "volume", Source: "bga-ws-x", Target: "/workspace", ReadOnly: false }
    ])
  })

  it("joins an internal network only by name, keeping everything else locked", () => {
    const body = containerBody({ ...lane, network: "egress-proxy" })
    expect(body.NetworkDisabled).toBe(false)
    expect(body.HostConfig.NetworkMode).toBe("egress-proxy")
    expect(body.HostConfig.CapDrop).toEqual(["ALL"])
  })
})

describe("the lane user", () => {
  it.each(["root", "0", "0:0", "000:1000", "root:root", "", " 0"])("refuses %j as root", (user) => {
    expect(isRootUser(user)).toBe(true)
  })
  it.each(["65534:65534", "1000", "nobody", "10:0"])("accepts %j", (user) => {
    expect(isRootUser(user)).toBe(false)
  })
})

describe("driver options", () => {
  it("refuse a root user, a bad scope and a TCP engine, naming each", () => {
    expect(() =>
      resolveOptions({ image: "x:1", user: "0", scope: "Bad Scope", socketPath: "tcp://h:2375" })
    ).toThrow(/user "0" is root.*scope "Bad Scope".*socketPath/u)
  })

  it("default to tight limits", () => {
    const options = resolveOptions({ image: "x:1" })
    expect(options).toMatchObject({
      user: "65534:65534",
      pids: 128,
      memoryBytes: 256 * 1024 * 1024,
      cpus: 1,
      orphans: "dead-owner",
      requireEnforcedLimits: true
    })
    expect([...options.allowedImages]).toEqual(["x:1"])
  })
})

describe("orphan detection", () => {
  const self = { ownerId: "me", host: "h1", pid: 100, scope: "s" }
  const alive = (pid: number) => pid === 200
  const labels = (owner: string, host: string, pid: string) => ({
    labels: { "dev.bga.owner": owner, "dev.bga.owner-host": host, "dev.bga.owner-pid": pid }
  })
  it.each<[string, ReturnType<typeof labels>, OrphanPolicy, boolean]>([
    ["my own lane", labels("me", "h1", "100"), "all-in-scope", false],
    ["a dead owner on this host", labels("x", "h1", "300"), "dead-owner", true],
    ["a live owner on this host", labels("x", "h1", "200"), "dead-owner", false],
    ["an owner on another host", labels("x", "h2", "300"), "dead-owner", false],
    ["an owner on another host, scope claimed", labels("x", "h2", "200"), "all-in-scope", true],
    ["an unreadable owner pid", labels("x", "h1", "abc"), "dead-owner", true],
    ["anything, when keeping", labels("x", "h1", "300"), "keep", false]
  ])("%s -> orphan: %s", (_, item, policy, expected) => {
    expect(isOrphan(item, self, policy, alive)).toBe(expected)
  })
})
