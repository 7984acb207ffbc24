/** The resolved settings of one lane, after defaults and checks. */
export interface LaneConfig {
  readonly laneId: string
  readonly image: string
  readonly user: string
  readonly hostname: string
  readonly labels: Readonly<Record<string, string>>
  /** `none`, or the name of an internal network already checked to be internal. */
  readonly network: string
  readonly pids: number
  readonly memoryBytes: number
  readonly nanoCpus: number
  readonly tmpSizeBytes: number
  readonly volume: string | undefined
  readonly keepAliveCommand: ReadonlyArray<string>
}

/**
 * The Engine API body that creates a lane container. Plain data so the hardening is visible in
 * one place and testable without an engine: no network (or an internal one), read-only root,
 * tmpfs /tmp, no capabilities, no privilege gain, a non-root user, an init that reaps, hard
 * pids/memory/CPU limits, no host binds, no published ports, no logs kept.
 */
export const containerBody = (lane: LaneConfig) => ({
  Image: lane.image,
  Entrypoint: [...lane.keepAliveCommand],
  Cmd: [],
  User: lane.user,
  Hostname: lane.hostname,
  WorkingDir: lane.volume === undefined ? "/tmp" : "/workspace",
  Env: ["HOME=/tmp", "TMPDIR=/tmp"],
  Labels: { ...lane.labels },
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  OpenStdin: false,
  Tty: false,
  NetworkDisabled: lane.network === "none",
  StopTimeout: 1,
  HostConfig: {
    NetworkMode: lane.network,
    ReadonlyRootfs: true,
    Tmpfs: { "/tmp": `rw,nosuid,nodev,noexec,size=${lane.tmpSizeBytes},mode=1777` },
    CapDrop: ["ALL"],
    CapAdd: [],
    SecurityOpt: ["no-new-privileges:true"],
    Privileged: false,
    // docker-init as PID 1 reaps the orphans of killed commands, which would otherwise hold
    // pids slots until the lane is reset.
    Init: true,
    PidsLimit: lane.pids,
    Memory: lane.memoryBytes,
    MemorySwap: lane.memoryBytes,
    NanoCpus: lane.nanoCpus,
    // In a host-wide memory shortage the kernel should pick lane processes before host ones.
    OomScoreAdj: 500,
    Ulimits: [
      { Name: "nofile", Soft: 1024, Hard: 1024 },
      { Name: "core", Soft: 0, Hard: 0 }
    ],
    IpcMode: "private",
    Binds: [],
    Mounts:
      lane.volume === undefined
        ? []
        : [{ Type: "volume", Source: lane.volume, Target: "/workspace", ReadOnly: false }],
    PortBindings: {},
    PublishAllPorts: false,
    Devices: [],
    AutoRemove: false,
    RestartPolicy: { Name: "no" },
    LogConfig: { Type: "none", Config: {} }
  }
})

/** A user spec that would run lane commands as root. */
export const isRootUser = (user: string): boolean => {
  const name = user.split(":")[0]?.trim() ?? ""
  return name === "" || name === "root" || /^0+$/u.test(name)
}
