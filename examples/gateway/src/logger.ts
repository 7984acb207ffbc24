import { pino } from "pino"

/** The host's logger: pino, JSON lines on stdout (or `destination`). Keys and secrets are never logged. */
export type Logger = pino.Logger

/** Makes the logger. */
export const makeLogger = (level: string, destination?: pino.DestinationStream): Logger =>
  pino(
    {
      level,
      base: { service: "bga-gateway" },
      redact: { paths: ["credential", "authorization", "token", "*.authorization"], censor: "[redacted]" }
    },
    destination ?? pino.destination({ fd: 1, sync: false })
  )
