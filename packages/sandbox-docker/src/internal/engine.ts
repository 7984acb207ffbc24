import { request as httpRequest } from "node:http"
import type { Duplex, Readable } from "node:stream"
import { Client, Pool } from "undici"

/**
 * Why a call to the engine failed: it could not be reached, it answered with an error status,
 * or it said something we could not read.
 */
export class EngineError extends Error {
  constructor(
    readonly kind: "unavailable" | "status" | "protocol",
    message: string,
    readonly status?: number,
    options?: { readonly cause?: unknown }
  ) {
    super(message, options)
    this.name = "EngineError"
  }
}

/** The Engine API versions this client speaks: 1.41 is Docker 20.10; newer engines drop old ones. */
const minApi = [1, 41] as const
const maxApi = [1, 47] as const

const parseVersion = (text: string): readonly [number, number] | undefined => {
  const match = /^(\d+)\.(\d+)$/u.exec(text)
  return match === null ? undefined : [Number(match[1]), Number(match[2])]
}
const compare = (a: readonly [number, number], b: readonly [number, number]) => a[0] - b[0] || a[1] - b[1]

const connectionCodes = new Set(["ENOENT", "ECONNREFUSED", "EACCES", "ECONNRESET", "EPIPE", "ENOTSOCK"])
const codeOf = (error: unknown): string | undefined => {
  let current: unknown = error
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string" && connectionCodes.has(code)) return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

const unavailable = (socketPath: string, error: unknown) =>
  new EngineError(
    "unavailable",
    `no Docker engine at ${socketPath} (${codeOf(error) ?? (error instanceof Error ? error.message : String(error))})`,
    undefined,
    { cause: error }
  )

const engineMessage = (text: string): string => {
  try {
    const parsed = JSON.parse(text) as { message?: unknown }
    if (typeof parsed.message === "string") return parsed.message
  } catch {}
  return text.slice(0, 500)
}

/** A JSON answer of the engine. */
export interface EngineResponse<T> {
  readonly status: number
  readonly body: T
}

/** Options of one engine call. */
export interface CallOptions {
  readonly body?: unknown
  readonly signal?: AbortSignal | undefined
  /** Statuses that are answers rather than errors (besides 2xx). */
  readonly accept?: ReadonlyArray<number>
}

/**
 * A thin client for the few Docker Engine API endpoints the driver uses, over the engine's unix
 * socket. JSON calls share a keep-alive pool; exec streams get their own hijacked connection.
 */
export class EngineClient {
  private readonly pool: Pool
  private prefix = ""

  private constructor(readonly socketPath: string) {
    this.pool = new Pool("http://docker", {
      socketPath,
      connections: 16,
      keepAliveTimeout: 30_000,
      headersTimeout: 60_000,
      bodyTimeout: 60_000
    })
  }

  /** Connects and settles on an API version both sides speak. */
  static async connect(socketPath: string, signal?: AbortSignal): Promise<EngineClient> {
    const client = new EngineClient(socketPath)
    try {
      const version = await client.call<{ ApiVersion?: string; MinAPIVersion?: string }>("GET", "/version", {
        signal
      })
      const server = parseVersion(version.body.ApiVersion ?? "")
      if (server === undefined || compare(server, minApi) < 0)
        throw new EngineError(
          "protocol",
          `the engine speaks API ${version.body.ApiVersion ?? "?"}; at least ${minApi.join(".")} is needed`
        )
      const chosen = compare(server, maxApi) > 0 ? maxApi : server
      client.prefix = `/v${chosen.join(".")}`
      return client
    } catch (error) {
      await client.close()
      throw error
    }
  }

  /** The API version in use, e.g. `1.41`. */
  get apiVersion(): string {
    return this.prefix.slice(2)
  }

  /** Calls a JSON endpoint; a non-2xx status (unless accepted) is an `EngineError`. */
  async call<T>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    options: CallOptions = {}
  ): Promise<EngineResponse<T>> {
    let response: Awaited<ReturnType<Pool["request"]>>
    try {
      response = await this.pool.request({
        method,
        path: this.prefix + path,
        headers: options.body === undefined ? {} : { "content-type": "application/json" },
        body: options.body === undefined ? null : JSON.stringify(options.body),
        signal: options.signal ?? null
      })
    } catch (error) {
      if (options.signal?.aborted) throw error
      throw unavailable(this.socketPath, error)
    }
    const text = await response.body.text()
    const ok = response.statusCode < 300 || (options.accept ?? []).includes(response.statusCode)
    if (!ok)
      throw new EngineError(
        "status",
        `${method} ${path.split("?")[0]} answered ${response.statusCode}: ${engineMessage(text)}`,
        response.statusCode
      )
    if (text === "") return { status: response.statusCode, body: undefined as T }
    try {
      return { status: response.statusCode, body: JSON.parse(text) as T }
    } catch (error) {
      throw new EngineError(
        "protocol",
        `${method} ${path} answered with malformed JSON`,
        response.statusCode,
        {
          cause: error
        }
      )
    }
  }

  /**
   * Starts an exec and hands back the raw connection: the engine's multiplexed output comes out
   * of it and anything written to it is the command's stdin. Uses an HTTP upgrade on a fresh
   * connection, as the engine requires for attached execs.
   */
  hijack(path: string, body: unknown, timeoutMs = 30_000): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const payload = JSON.stringify(body)
      const req = httpRequest({
        socketPath: this.socketPath,
        path: this.prefix + path,
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
          connection: "Upgrade",
          upgrade: "tcp"
        }
      })
      // Only until the engine answers: from then on the stream is as long as the command.
      req.setTimeout(timeoutMs, () =>
        req.destroy(
          new EngineError("unavailable", `the engine did not answer ${path} within ${timeoutMs} ms`)
        )
      )
      req.on("upgrade", (response, socket, head) => {
        socket.setTimeout(0)
        response.resume()
        if (head.length > 0) socket.unshift(head)
        resolve(socket)
      })
      req.on("response", (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () =>
          reject(
            new EngineError(
              "status",
              `POST ${path} answered ${response.statusCode}: ${engineMessage(Buffer.concat(chunks).toString())}`,
              response.statusCode
            )
          )
        )
      })
      req.on("error", (error) =>
        reject(error instanceof EngineError ? error : unavailable(this.socketPath, error))
      )
      req.end(payload)
    })
  }

  /** Opens a long-lived streaming GET (the event feed) on its own connection. */
  async stream(
    path: string,
    signal: AbortSignal
  ): Promise<{ readonly body: Readable; readonly close: () => void }> {
    const client = new Client("http://docker", {
      socketPath: this.socketPath,
      bodyTimeout: 0,
      headersTimeout: 30_000
    })
    try {
      const response = await client.request({ method: "GET", path: this.prefix + path, signal })
      if (response.statusCode >= 300) {
        const text = await response.body.text()
        throw new EngineError("status", `GET ${path.split("?")[0]} answered ${response.statusCode}: ${text}`)
      }
      return {
        body: response.body,
        close: () => {
          response.body.destroy()
          void client.destroy().catch(() => undefined)
        }
      }
    } catch (error) {
      void client.destroy().catch(() => undefined)
      if (error instanceof EngineError || signal.aborted) throw error
      throw unavailable(this.socketPath, error)
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy().catch(() => undefined)
  }
}

/** Query string for an Engine API filter (`filters={"label":[...]}`), already encoded. */
export const filtersQuery = (filters: Readonly<Record<string, ReadonlyArray<string>>>): string =>
  `filters=${encodeURIComponent(JSON.stringify(filters))}`
