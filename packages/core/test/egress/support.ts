import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Result } from "effect"
import * as Config from "../../src/config/index.js"
import type { BgaConfigInput } from "../../src/config/schema.js"
import type * as Egress from "../../src/egress/index.js"

/** A loopback HTTP server on one 127.0.0.x address, recording what it received. */
export interface LoopServer {
  readonly address: string
  readonly port: number
  readonly received: Array<{ method: string; url: string; headers: IncomingMessage["headers"]; body: string }>
  readonly close: () => Promise<void>
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

/** Starts a server on a loopback address (127.0.0.0/8 only: tests never reach anything else). */
export const startServer = async (address: string, handler: Handler): Promise<LoopServer> => {
  if (!address.startsWith("127.")) throw new Error("test servers bind loopback addresses only")
  const received: LoopServer["received"] = []
  const server: Server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8")
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body })
      handler(req, res, body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, address, resolve))
  const port = (server.address() as AddressInfo).port
  return {
    address,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** The acting party of test requests. */
export const contextFor = (customerInstanceId: string): Egress.EgressContext => ({
  customerInstanceId,
  environment: "test",
  actor: { kind: "agent", id: "agent-1", roles: [] },
  runId: "01900000-0000-7000-8000-000000000001"
})

/** Decodes a configuration for a test, failing loudly when it is invalid. */
export const configOf = (input: BgaConfigInput) => Result.getOrThrow(Config.decodeConfig(input))

/**
 * The loopback test policy: instance `loop` opens exactly the server addresses through the
 * audited per-instance `allowPrivateRanges` (defaults stay closed) and allowlists test names.
 */
export const loopConfig = (ports: ReadonlyArray<number>, extra: { allowlist?: Array<string> } = {}) =>
  configOf({
    customerInstances: {
      loop: {
        security: {
          egress: {
            allowlist: [
              "app.test",
              "other.test",
              "rebind.test",
              "slow.test",
              "127.0.0.2",
              ...(extra.allowlist ?? [])
            ],
            allowPrivateRanges: ["127.0.0.2/32", "127.0.0.3/32"],
            allowedPorts: [...ports]
          }
        }
      }
    }
  })
