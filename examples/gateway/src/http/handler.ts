import type { IncomingMessage, ServerResponse } from "node:http"
import { Gateway, newId } from "@bga/core"
import { Effect, type Exit, Fiber } from "effect"
import type { Logger } from "../logger.js"
import { isJsonContentType, readBody } from "./body.js"
import { adminHeaders, type StaticFile } from "./staticFiles.js"

/** What the HTTP transport needs. */
export interface HttpTransportOptions {
  readonly gateway: Gateway.GatewayShape
  readonly limits: Gateway.GatewaySettings["limits"]
  readonly logger: Logger
  /** The admin UI files; absent: the UI is not served. */
  readonly admin?: ReadonlyMap<string, StaticFile> | undefined
  readonly draining: () => boolean
}

/** The request handler and what graceful shutdown needs to know about it. */
export interface HttpTransport {
  readonly handle: (request: IncomingMessage, response: ServerResponse) => void
  /** Requests being answered now. */
  readonly inFlight: () => number
}

const apiPrefix = "/api/v1/"
const methodName = /^[a-z][a-z0-9_.]{0,63}$/u
const jsonHeaders = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff"
}

const bearer = (header: string | undefined): string | undefined => {
  if (header === undefined) return undefined
  const match = /^Bearer[ ]+(\S+)\s*$/iu.exec(header)
  // Another scheme is passed on as is: it is then a malformed credential, refused and audited.
  return match?.[1] ?? header.slice(0, 512)
}

/**
 * Serves the gateway over HTTP: every method at `POST /api/v1/<name>` with a JSON body (methods
 * without input also at `GET`), `GET /healthz` and `/readyz`, the OpenAPI document at
 * `/api/v1/openapi.json`, and the admin UI under `/admin/`. Every error is an `ErrorBody` with
 * a stable code. Bodies are capped, each call has a deadline, and while the host drains new
 * calls are refused with `shutting_down`.
 */
export const makeHttpTransport = (options: HttpTransportOptions): HttpTransport => {
  const { gateway, limits, logger } = options
  const methods = new Map(gateway.methods.map((m) => [m.name, m]))
  const openApi = JSON.stringify(Gateway.openApiDocument({ methods: gateway.methods }))
  let inFlight = 0

  const send = (
    response: ServerResponse,
    status: number,
    body: string,
    headers: Readonly<Record<string, string>> = jsonHeaders
  ) => {
    if (response.headersSent || response.destroyed) return
    response.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(body)) })
    response.end(body)
  }

  const sendError = (response: ServerResponse, requestId: string, error: Gateway.GatewayError) => {
    const headers: Record<string, string> = { ...jsonHeaders, "x-request-id": requestId }
    if (error.retryAfterSeconds !== undefined) headers["retry-after"] = String(error.retryAfterSeconds)
    if (error.code === "unauthenticated") headers["www-authenticate"] = 'Bearer realm="bga"'
    if (error.code === "payload_too_large" || error.code === "shutting_down") headers.connection = "close"
    send(response, error.status, JSON.stringify(Gateway.errorBody(error, requestId)), headers)
  }

  const serveStatic = (request: IncomingMessage, response: ServerResponse, path: string) => {
    const name = path === "/admin/" || path === "/admin" ? "index.html" : path.slice("/admin/".length)
    const file = options.admin?.get(name)
    if (file === undefined) return false
    response.writeHead(200, {
      ...adminHeaders,
      "content-type": file.contentType,
      "content-length": String(file.body.length)
    })
    response.end(request.method === "HEAD" ? undefined : file.body)
    return true
  }

  const callMethod = async (
    request: IncomingMessage,
    response: ServerResponse,
    requestId: string,
    name: string,
    started: number
  ) => {
    const method = methods.get(name)
    const verb = request.method ?? "GET"
    let body: string | undefined
    if (method !== undefined && verb === "GET" && method.input !== Gateway.EmptyInput) {
      return sendError(
        response,
        requestId,
        new Gateway.GatewayError({
          code: "method_not_allowed",
          detail: `${name} takes a JSON body: use POST`
        })
      )
    }
    if (verb !== "POST" && verb !== "GET") {
      response.setHeader("allow", "POST, GET")
      return sendError(
        response,
        requestId,
        new Gateway.GatewayError({ code: "method_not_allowed", detail: `use POST /api/v1/${name}` })
      )
    }
    if (verb === "POST" && method !== undefined) {
      const hasBody =
        request.headers["content-length"] !== "0" &&
        (request.headers["content-length"] !== undefined ||
          request.headers["transfer-encoding"] !== undefined)
      if (hasBody && !isJsonContentType(request.headers["content-type"])) {
        return sendError(
          response,
          requestId,
          new Gateway.GatewayError({
            code: "unsupported_media_type",
            detail: "send the input as application/json"
          })
        )
      }
      const read = await readBody(request, limits.maxBodyBytes)
      if (!read.ok) {
        response.once("finish", () => request.socket.destroySoon())
        return sendError(response, requestId, read.error)
      }
      body = read.text
    }
    const exit = await new Promise<Exit.Exit<Gateway.GatewayResult>>((resolve) => {
      const fiber = Effect.runFork(
        gateway.call({
          method: name,
          body,
          credential: bearer(request.headers.authorization),
          clientAddress: request.socket.remoteAddress ?? "unknown",
          requestId
        })
      )
      const timer = setTimeout(() => {
        Effect.runFork(Fiber.interrupt(fiber))
      }, limits.requestTimeoutMs)
      fiber.addObserver((result) => {
        clearTimeout(timer)
        resolve(result)
      })
    })
    if (exit._tag !== "Success") {
      return sendError(
        response,
        requestId,
        new Gateway.GatewayError({
          code: "timeout",
          detail: `the call did not finish within ${limits.requestTimeoutMs} ms`
        })
      )
    }
    const result = exit.value
    const fields = {
      requestId,
      method: name,
      keyId: result.principal?.keyId,
      instance: result.principal?.customerInstanceId,
      ms: Math.round(performance.now() - started)
    }
    if (result._tag === "Success") {
      logger.info({ ...fields, status: 200 }, "call")
      return send(response, 200, JSON.stringify(result.value), { ...jsonHeaders, "x-request-id": requestId })
    }
    const level = result.error.status >= 500 ? "error" : "info"
    logger[level]({ ...fields, status: result.error.status, code: result.error.code }, "call failed")
    return sendError(response, requestId, result.error)
  }

  const route = async (
    request: IncomingMessage,
    response: ServerResponse,
    requestId: string,
    started: number
  ) => {
    const url = request.url ?? "/"
    const query = url.indexOf("?")
    const path = query === -1 ? url : url.slice(0, query)
    const verb = request.method ?? "GET"
    if (path.startsWith(apiPrefix)) {
      const name = path.slice(apiPrefix.length)
      if (name === "openapi.json" && (verb === "GET" || verb === "HEAD")) {
        return send(response, 200, openApi)
      }
      if (options.draining()) {
        return sendError(
          response,
          requestId,
          new Gateway.GatewayError({ code: "shutting_down", detail: "the gateway is shutting down" })
        )
      }
      if (!methodName.test(name)) {
        return sendError(
          response,
          requestId,
          new Gateway.GatewayError({
            code: "unknown_method",
            detail: `there is no method ${JSON.stringify(name.slice(0, 64))}`
          })
        )
      }
      return callMethod(request, response, requestId, name, started)
    }
    if (verb === "GET" && (path === "/healthz" || path === "/readyz")) {
      return callMethod(request, response, requestId, path === "/healthz" ? "health" : "ready", started)
    }
    if ((verb === "GET" || verb === "HEAD") && path === "/") {
      response.writeHead(302, { location: "/admin/", "content-length": "0" })
      return response.end()
    }
    if (
      (verb === "GET" || verb === "HEAD") &&
      path.startsWith("/admin") &&
      serveStatic(request, response, path)
    )
      return
    return sendError(
      response,
      requestId,
      new Gateway.GatewayError({ code: "not_found", detail: `nothing is served at ${path.slice(0, 128)}` })
    )
  }

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const requestId = newId()
    const started = performance.now()
    inFlight++
    response.once("close", () => {
      inFlight--
    })
    route(request, response, requestId, started).catch((error: unknown) => {
      logger.error({ requestId, err: error }, "request failed")
      sendError(
        response,
        requestId,
        new Gateway.GatewayError({ code: "internal", detail: `internal error (request ${requestId})` })
      )
    })
  }

  return { handle, inFlight: () => inFlight }
}
