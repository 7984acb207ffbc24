import { Effect, Result } from "effect"
import type { Dispatcher } from "undici"
import { newId } from "../../ids.js"
import {
  type CheckedAddress,
  checkAnswers,
  checkUrl,
  type EgressBlock,
  redactUrl,
  type UrlTarget
} from "../check.js"
import { blockDecision, type EgressContext } from "../decision.js"
import { EgressError, type EgressFailureReason, isBlockReason } from "../EgressError.js"
import type { EgressEventV1, EgressRecorderShape } from "../events.js"
import type { EgressPolicy } from "../policy.js"
import { type HopRequest, planRedirect, redirectStatuses } from "../redirect.js"
import type { EgressResolver } from "../resolver.js"
import { discardCapped, readCapped } from "./body.js"
import { PinnedPools, type PoolSettings } from "./pools.js"
import type { EgressLimits, EgressRequest, EgressResponse, EgressVerdict } from "./types.js"

export {
  defaultLimits,
  type EgressLimits,
  type EgressRequest,
  type EgressResponse,
  type EgressVerdict
} from "./types.js"

/** Everything the engine needs; built by `EgressGuard.make` and the Promise API. */
export interface EngineOptions {
  readonly policyOf: (customerInstanceId: string) => EgressPolicy
  readonly resolver: EgressResolver
  readonly recorder: EgressRecorderShape
  readonly limits: EgressLimits
  readonly pools: Omit<PoolSettings, "maxHeaderBytes" | "connectTimeoutMs">
}

const methods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
const refusedHeaders = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "content-length",
  "expect"
])
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/u
// Header values may not carry CR, LF or NUL (request smuggling); undici checks too, but a
// typed refusal names the header.
const badValue = /[\r\n\0]/u

const connectCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT"
])

const codeOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "code" in error ? String(error.code) : ""

class Deadline {
  readonly controller = new AbortController()
  timedOut = false
  private readonly timer: NodeJS.Timeout
  private readonly onAbort: (() => void) | undefined

  constructor(
    ms: number,
    private readonly outer: AbortSignal | undefined
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = true
      this.controller.abort(new Error("egress deadline passed"))
    }, ms)
    if (outer !== undefined) {
      if (outer.aborted) this.controller.abort(outer.reason)
      this.onAbort = () => this.controller.abort(outer.reason)
      outer.addEventListener("abort", this.onAbort, { once: true })
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  done(): void {
    clearTimeout(this.timer)
    if (this.onAbort !== undefined) this.outer?.removeEventListener("abort", this.onAbort)
  }
}

/** Per guarded request: ids and what every event of it shares. */
interface Trace {
  /** Set by the first event: its id becomes the id of the whole request (one id mint less per request). */
  requestId: string | undefined
  readonly context: EgressContext
  readonly policy: EgressPolicy
}

/**
 * The guarded fetch loop as plain async code (the hot path); `EgressGuard` wraps it in Effect
 * and the Promise API exposes it directly. Every hop: check the URL, resolve once, check every
 * answer, connect only to a checked address, read within limits, record.
 */
export class Engine {
  private readonly pools: PinnedPools

  constructor(private readonly options: EngineOptions) {
    this.pools = new PinnedPools({
      ...options.pools,
      maxHeaderBytes: options.limits.maxHeaderBytes,
      connectTimeoutMs: options.limits.connectTimeoutMs
    })
  }

  /** Number of open keep-alive pools (for tests and metrics). */
  get poolCount(): number {
    return this.pools.size
  }

  close(): Promise<void> {
    return this.pools.close()
  }

  /**
   * Decides about a URL (DNS included) without connecting or recording anything: a dry run
   * that shows the verdict, the reason, and the decision a fetch would record.
   */
  async check(input: string, context: EgressContext): Promise<EgressVerdict> {
    const policy = this.options.policyOf(context.customerInstanceId)
    const deadline = new Deadline(this.options.limits.timeoutMs, context.signal)
    const refused = (block: EgressBlock): EgressVerdict => {
      const decision = blockDecision(block, policy, context, redactUrl(input))
      return { allowed: false, error: this.blockError(block, input, decision.decisionId), decision }
    }
    try {
      const target = checkUrl(input, policy)
      if (Result.isFailure(target)) return refused(target.failure)
      const addresses = await this.resolveChecked(target.success, policy, deadline, input)
      if (Array.isArray(addresses)) return { allowed: true, target: target.success, addresses }
      const outcome = addresses as EgressBlock | Failure
      if (isBlock(outcome)) return refused(outcome)
      return {
        allowed: false,
        error: new EgressError({
          reason: outcome.reason,
          url: redactUrl(input),
          detail: outcome.detail,
          host: target.success.host
        })
      }
    } finally {
      deadline.done()
    }
  }

  /** Fetches through every check; rejects with `EgressError`. */
  async fetch(request: EgressRequest, context: EgressContext): Promise<EgressResponse> {
    const policy = this.options.policyOf(context.customerInstanceId)
    const limits = this.options.limits
    const trace: Trace = { requestId: undefined, context, policy }
    const cap = Math.min(request.maxBytes ?? limits.maxResponseBytes, limits.maxResponseBytes)
    const deadline = new Deadline(
      Math.min(request.timeoutMs ?? limits.timeoutMs, limits.timeoutMs),
      context.signal
    )
    try {
      let hop: HopRequest | EgressBlock = this.firstHop(request)
      const redirects: Array<string> = []
      for (let n = 0; ; n++) {
        if ("reason" in hop) return await this.refuse(hop, request.url, trace, n)
        const target = checkUrl(hop.url, policy)
        if (Result.isFailure(target)) return await this.refuse(target.failure, hop.url, trace, n)
        const addresses = await this.resolveChecked(target.success, policy, deadline, hop.url)
        if (!Array.isArray(addresses)) {
          const outcome = addresses as EgressBlock | Failure
          if (isBlock(outcome)) return await this.refuse(outcome, hop.url, trace, n)
          return await this.fail(outcome, target.success, trace, n)
        }
        const sent = await this.send(hop, target.success, addresses, deadline, trace, n)
        const { response, address } = sent
        const location = response.headers.location
        if (redirectStatuses.has(response.statusCode) && typeof location === "string") {
          const drained = await this.drain(response.body, deadline, target.success, address, trace, n)
          await this.recordFetched(
            hop,
            target.success,
            address,
            response.statusCode,
            drained,
            sent.startedAt,
            trace,
            n
          )
          if (n >= limits.maxRedirects) {
            return await this.refuse(
              {
                reason: "redirect-limit",
                detail: `more than ${limits.maxRedirects} redirects`,
                host: target.success.host
              },
              hop.url,
              trace,
              n
            )
          }
          redirects.push(redactUrl(target.success.url))
          const plan = planRedirect(hop, response.statusCode, location)
          hop = Result.isFailure(plan) ? plan.failure : plan.success
          continue
        }
        const body = await this.readBody(
          response,
          cap,
          request.truncate === true,
          deadline,
          target.success,
          address,
          trace,
          n
        )
        await this.recordFetched(
          hop,
          target.success,
          address,
          response.statusCode,
          body.bytes,
          sent.startedAt,
          trace,
          n,
          body.truncated
        )
        return {
          url: target.success.url.href,
          status: response.statusCode,
          headers: flattenHeaders(response.headers),
          body: body.body,
          bytes: body.bytes,
          truncated: body.truncated,
          address: address.address,
          redirects,
          requestId: trace.requestId ?? ""
        }
      }
    } finally {
      deadline.done()
    }
  }

  private firstHop(request: EgressRequest): HopRequest | EgressBlock {
    const method = (request.method ?? "GET").toUpperCase()
    if (!methods.has(method)) {
      return { reason: "invalid-request", detail: `method ${method.slice(0, 16)} is not allowed` }
    }
    const headers: Record<string, string> = { "accept-encoding": "identity" }
    for (const [rawName, value] of Object.entries(request.headers ?? {})) {
      const name = rawName.toLowerCase()
      if (!token.test(name))
        return {
          reason: "invalid-request",
          detail: `header name ${JSON.stringify(rawName.slice(0, 64))} is not valid`
        }
      if (refusedHeaders.has(name) || (name.startsWith("proxy-") && name !== "proxy-authorization")) {
        return {
          reason: "invalid-request",
          detail: `header ${name} is set by the guard and may not be supplied`
        }
      }
      if (typeof value !== "string" || badValue.test(value)) {
        return { reason: "invalid-request", detail: `header ${name} has a value with CR, LF or NUL` }
      }
      headers[name] = value
    }
    if (request.body !== undefined && (method === "GET" || method === "HEAD")) {
      return { reason: "invalid-request", detail: `a ${method} request cannot carry a body` }
    }
    return { url: request.url, method, headers, body: request.body }
  }

  private async resolveChecked(
    target: UrlTarget,
    policy: EgressPolicy,
    deadline: Deadline,
    url: string
  ): Promise<ReadonlyArray<CheckedAddress> | EgressBlock | Failure> {
    if (target.literal !== undefined) return [target.literal]
    let answers: ReadonlyArray<string>
    try {
      answers = await raceAbort(this.options.resolver.resolve(target.host, deadline.signal), deadline.signal)
    } catch (error) {
      if (deadline.signal.aborted) return abortFailure(deadline, "while resolving")
      const code = codeOf(error)
      return {
        reason: "dns",
        detail: `${target.host} could not be resolved${code === "" ? "" : ` (${code})`}`,
        cause: error,
        url
      }
    }
    const checked = checkAnswers(target.host, answers, policy)
    if (Result.isSuccess(checked)) return checked.success
    const failure = checked.failure
    if (failure === "empty") {
      return { reason: "dns", detail: `${target.host} resolved to ${answers.length} addresses`, url }
    }
    if (failure === "malformed")
      return { reason: "dns", detail: `${target.host} resolved to a malformed answer`, url }
    return failure
  }

  private async send(
    hop: HopRequest,
    target: UrlTarget,
    addresses: ReadonlyArray<CheckedAddress>,
    deadline: Deadline,
    trace: Trace,
    n: number
  ): Promise<{ response: Dispatcher.ResponseData; address: CheckedAddress; startedAt: number }> {
    let lastError: unknown
    // Try each checked address in resolver order, moving on only when the connection itself
    // failed (nothing was sent), at most three.
    for (const address of addresses.slice(0, 3)) {
      const startedAt = performance.now()
      try {
        const pool = this.pools.get(target.url.origin, target.host, address.address, address.family)
        const response = await pool.request({
          path: `${target.url.pathname}${target.url.search}`,
          method: hop.method as Dispatcher.HttpMethod,
          headers: hop.headers,
          body: hop.body ?? null,
          signal: deadline.signal
        })
        return { response, address, startedAt }
      } catch (error) {
        lastError = error
        if (deadline.signal.aborted || !connectCodes.has(codeOf(error))) {
          return this.failWith(classify(error, deadline), target, trace, n, address)
        }
      }
    }
    return this.failWith(classify(lastError, deadline), target, trace, n, addresses.slice(0, 3).at(-1))
  }

  private async drain(
    body: Dispatcher.ResponseData["body"],
    deadline: Deadline,
    target: UrlTarget,
    address: CheckedAddress,
    trace: Trace,
    n: number
  ): Promise<number> {
    try {
      return await discardCapped(body, 64 * 1024)
    } catch (error) {
      return this.failWith(classify(error, deadline), target, trace, n, address)
    }
  }

  private async readBody(
    response: Dispatcher.ResponseData,
    cap: number,
    truncate: boolean,
    deadline: Deadline,
    target: UrlTarget,
    address: CheckedAddress,
    trace: Trace,
    n: number
  ): Promise<{ body: Uint8Array; bytes: number; truncated: boolean }> {
    const declared = Number(response.headers["content-length"] ?? Number.NaN)
    if (!truncate && Number.isFinite(declared) && declared > cap) {
      response.body.destroy()
      return this.failWith(
        { reason: "too-large", detail: `the response declares ${declared} bytes (cap ${cap})`, bytes: 0 },
        target,
        trace,
        n,
        address
      )
    }
    let read: Awaited<ReturnType<typeof readCapped>>
    try {
      read = await readCapped(response.body, cap)
    } catch (error) {
      return this.failWith(classify(error, deadline), target, trace, n, address)
    }
    if (!read.ok && truncate) return { body: read.body, bytes: read.bytes, truncated: true }
    if (!read.ok) {
      return this.failWith(
        {
          reason: "too-large",
          detail: `the response passed the cap of ${cap} bytes; reading stopped`,
          bytes: read.seen
        },
        target,
        trace,
        n,
        address
      )
    }
    return { body: read.body, bytes: read.bytes, truncated: false }
  }

  private blockError(block: EgressBlock, url: string, decisionId?: string): EgressError {
    return new EgressError({
      reason: block.reason,
      url: redactUrl(url),
      detail: block.detail,
      ...(block.host === undefined ? {} : { host: block.host }),
      ...(block.address === undefined ? {} : { address: block.address }),
      ...(decisionId === undefined ? {} : { decisionId })
    })
  }

  private async refuse(block: EgressBlock, url: string, trace: Trace, hop: number): Promise<never> {
    const redacted = redactUrl(url)
    const decision = blockDecision(block, trace.policy, trace.context, redacted)
    await this.emit({
      type: "egress.blocked",
      ...this.common(trace, hop, redacted, block.host ?? ""),
      reason: block.reason,
      detail: block.detail.slice(0, 1024),
      ...(block.address === undefined ? {} : { address: block.address }),
      decision
    })
    throw this.blockError(block, url, decision.decisionId)
  }

  private async fail(failure: Failure, target: UrlTarget, trace: Trace, hop: number): Promise<never> {
    return this.failWith(failure, target, trace, hop, undefined)
  }

  private async failWith(
    failure: Failure,
    target: UrlTarget,
    trace: Trace,
    hop: number,
    address: CheckedAddress | undefined
  ): Promise<never> {
    const redacted = redactUrl(target.url)
    await this.emit({
      type: "egress.failed",
      ...this.common(trace, hop, redacted, target.host),
      reason: failure.reason,
      detail: failure.detail.slice(0, 1024),
      ...(address === undefined ? {} : { address: address.address }),
      ...(address?.openedBy === undefined ? {} : { privateRange: address.openedBy }),
      ...(failure.bytes === undefined ? {} : { bytes: failure.bytes })
    })
    throw new EgressError({
      reason: failure.reason,
      url: redacted,
      detail: failure.detail,
      host: target.host,
      ...(address === undefined ? {} : { address: address.address }),
      ...(failure.cause === undefined ? {} : { cause: failure.cause })
    })
  }

  private recordFetched(
    hop: HopRequest,
    target: UrlTarget,
    address: CheckedAddress,
    status: number,
    bytes: number,
    startedAt: number,
    trace: Trace,
    n: number,
    truncated = false
  ): Promise<void> {
    return this.emit({
      type: "egress.fetched",
      ...this.common(trace, n, redactUrl(target.url), target.host),
      method: hop.method,
      address: address.address,
      port: target.port,
      status,
      bytes,
      durationMs: Math.max(0, Math.round(performance.now() - startedAt)),
      ...(truncated ? { truncated } : {}),
      ...(address.openedBy === undefined ? {} : { privateRange: address.openedBy })
    })
  }

  private common(trace: Trace, hop: number, url: string, host: string) {
    const eventId = newId()
    trace.requestId ??= eventId
    return {
      version: 1 as const,
      eventId,
      ts: new Date().toISOString(),
      customerInstanceId: trace.context.customerInstanceId,
      ...(trace.context.runId === undefined ? {} : { runId: trace.context.runId }),
      requestId: trace.requestId,
      hop,
      url,
      host: host.slice(0, 512)
    }
  }

  private emit(event: EgressEventV1): Promise<void> {
    return Effect.runPromise(this.options.recorder.record(event))
  }
}

/** A failure of an allowed request, before it becomes an `EgressError`. */
interface Failure {
  readonly reason: EgressFailureReason
  readonly detail: string
  readonly bytes?: number
  readonly cause?: unknown
  readonly url?: string
}

const isBlock = (outcome: EgressBlock | Failure): outcome is EgressBlock => isBlockReason(outcome.reason)

const abortFailure = (deadline: Deadline, when: string): Failure =>
  deadline.timedOut
    ? { reason: "timeout", detail: `the request deadline passed ${when}` }
    : { reason: "aborted", detail: `the request was cancelled ${when}` }

const classify = (error: unknown, deadline: Deadline): Failure => {
  if (deadline.signal.aborted) return abortFailure(deadline, "")
  const code = codeOf(error)
  const message = error instanceof Error ? error.message : String(error)
  if (code === "UND_ERR_HEADERS_OVERFLOW") {
    return {
      reason: "headers-too-large",
      detail: "the response headers passed the header size limit",
      cause: error
    }
  }
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return { reason: "timeout", detail: `the server was too slow (${code})`, cause: error }
  }
  if (connectCodes.has(code))
    return { reason: "connect", detail: `could not connect (${code})`, cause: error }
  return { reason: "protocol", detail: `the exchange failed: ${message.slice(0, 200)}`, cause: error }
}

const raceAbort = <A>(promise: Promise<A>, signal: AbortSignal): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => reject(signal.reason)
    signal.addEventListener("abort", onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort)
        reject(error)
      }
    )
  })

const flattenHeaders = (headers: Dispatcher.ResponseData["headers"]): Record<string, string> => {
  const flat: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    flat[name] = Array.isArray(value) ? value.join(name === "set-cookie" ? "\n" : ", ") : value
  }
  return flat
}
