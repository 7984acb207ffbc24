import { Result } from "effect"
import { type EgressBlock, oddIpv4Form } from "./check.js"

/** Statuses followed as redirects (when they carry a Location header). */
export const redirectStatuses: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])

/** Request headers that carry credentials; never sent to another origin. */
export const credentialHeaders: ReadonlyArray<string> = ["authorization", "cookie", "proxy-authorization"]

const bodyHeaders = [
  "content-type",
  "content-length",
  "content-encoding",
  "content-language",
  "content-location"
]

/** The request of one hop: what is sent next. Header names are lowercase. */
export interface HopRequest {
  readonly url: string
  readonly method: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | Uint8Array | undefined
}

/** What the next hop sends, and whether it crossed to another origin. */
export interface RedirectPlan extends HopRequest {
  readonly crossOrigin: boolean
  readonly droppedHeaders: ReadonlyArray<string>
}

const without = (headers: Readonly<Record<string, string>>, names: ReadonlyArray<string>) => {
  const kept: Record<string, string> = {}
  const dropped: Array<string> = []
  for (const [name, value] of Object.entries(headers)) {
    if (names.includes(name)) dropped.push(name)
    else kept[name] = value
  }
  return { kept, dropped }
}

/**
 * Plans the next hop of a redirect (pure). Follows fetch semantics for the method: 303
 * becomes GET (HEAD stays HEAD), and 301/302 turn POST into GET; either way the body goes.
 * Crossing origins drops credential headers. A 307/308 to another origin would have to resend
 * the body there, which is refused rather than silently altered. A downgrade from https to
 * http is refused (the rest of the chain would travel in clear text).
 * The target itself is checked by the caller like any first request (`checkUrl`).
 */
export const planRedirect = (
  current: HopRequest,
  status: number,
  location: string
): Result.Result<RedirectPlan, EgressBlock> => {
  const from = new URL(current.url)
  if (location.length > 8192) {
    return Result.fail({
      reason: "invalid-url",
      detail: "the redirect Location is longer than 8192 characters"
    })
  }
  const next = URL.parse(location, from.href)
  if (next === null) {
    return Result.fail({ reason: "invalid-url", detail: "the redirect Location is not a valid URL" })
  }
  // The next hop is checked in its parsed form; only the Location text shows an odd IPv4 form.
  const odd = oddIpv4Form(location, next)
  if (odd !== undefined) return Result.fail(odd)
  if (from.protocol === "https:" && next.protocol === "http:") {
    return Result.fail({
      reason: "redirect-downgrade",
      detail: `redirect from https to http (${next.host}) refused`,
      host: next.hostname
    })
  }
  const crossOrigin = next.origin !== from.origin
  const method = current.method.toUpperCase()
  const toGet =
    (status === 303 && method !== "HEAD") || ((status === 301 || status === 302) && method === "POST")
  const hasBody = current.body !== undefined
  if (!toGet && crossOrigin && hasBody) {
    return Result.fail({
      reason: "redirect-body",
      detail: `a ${status} redirect to another origin (${next.host}) would resend the request body`,
      host: next.hostname
    })
  }
  const dropNames = [...(crossOrigin ? credentialHeaders : []), ...(toGet ? bodyHeaders : [])]
  const { kept, dropped } = without(current.headers, dropNames)
  next.hash = ""
  return Result.succeed({
    url: next.href,
    method: toGet ? "GET" : method,
    headers: kept,
    body: toGet ? undefined : current.body,
    crossOrigin,
    droppedHeaders: dropped
  })
}
