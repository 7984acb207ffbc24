import net from "node:net"

/**
 * A TCP proxy on loopback in front of the test server, so tests can make the database vanish,
 * come back, or drop connections in the middle of a statement without touching the server
 * other developers share.
 */
export class TcpProxy {
  private server: net.Server | undefined
  private readonly sockets = new Set<net.Socket>()
  private armed: number | undefined
  port = 0

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number
  ) {}

  /** Listens (again) on the proxy's port (a free one the first time). */
  async start(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost)
      this.sockets.add(client)
      this.sockets.add(upstream)
      const drop = () => {
        client.destroy()
        upstream.destroy()
        this.sockets.delete(client)
        this.sockets.delete(upstream)
      }
      client.on("data", (chunk: Buffer) => {
        if (this.armed !== undefined) {
          this.armed -= chunk.length
          if (this.armed <= 0) {
            this.armed = undefined
            this.dropAll()
            return
          }
        }
        upstream.write(chunk)
      })
      upstream.on("data", (chunk: Buffer) => client.write(chunk))
      client.on("error", drop)
      upstream.on("error", drop)
      client.on("close", drop)
      upstream.on("close", drop)
    })
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(this.port, "127.0.0.1", () => resolve())
    })
    this.port = (server.address() as net.AddressInfo).port
    this.server = server
  }

  /** Stops listening and cuts every open connection: the database is gone. */
  async stop(): Promise<void> {
    this.dropAll()
    const server = this.server
    this.server = undefined
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** Cuts every open connection once `bytes` more bytes went from clients to the server. */
  killAfter(bytes: number): void {
    this.armed = bytes
  }

  /** Cuts every open connection now. */
  dropAll(): void {
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
  }
}
