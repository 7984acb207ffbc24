/** Label keys that mark what this driver created and who owns it. */
export const Label = {
  driver: "dev.bga.driver",
  scope: "dev.bga.scope",
  owner: "dev.bga.owner",
  ownerHost: "dev.bga.owner-host",
  ownerPid: "dev.bga.owner-pid",
  lane: "dev.bga.lane",
  customerInstance: "dev.bga.customer-instance",
  run: "dev.bga.run"
} as const

/** Value of the driver label on everything this package creates. */
export const driverName = "sandbox-docker"

/** Who a driver instance is; written on its containers so a later start can tell orphans. */
export interface Owner {
  readonly ownerId: string
  readonly host: string
  readonly pid: number
  readonly scope: string
}

/** Labels every container and volume of a lane carries. */
export const laneLabels = (
  owner: Owner,
  lane: { readonly laneId: string; readonly customerInstanceId: string; readonly runId?: string | undefined }
): Record<string, string> => ({
  [Label.driver]: driverName,
  [Label.scope]: owner.scope,
  [Label.owner]: owner.ownerId,
  [Label.ownerHost]: owner.host,
  [Label.ownerPid]: String(owner.pid),
  [Label.lane]: lane.laneId,
  [Label.customerInstance]: lane.customerInstanceId,
  ...(lane.runId === undefined ? {} : { [Label.run]: lane.runId })
})

/** Engine label filter selecting everything of one driver scope. */
export const scopeFilter = (scope: string): ReadonlyArray<string> => [
  `${Label.driver}=${driverName}`,
  `${Label.scope}=${scope}`
]
