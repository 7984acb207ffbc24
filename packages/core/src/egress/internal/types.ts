import type { PolicyDecisionTraceV1 } from "../../contracts/PolicyDecisionTrace.js"
import type { CheckedAddress, UrlTarget } from "../check.js"
import type { EgressError } from "../EgressError.js"

/** Limits applied to every guarded request (a request may lower, never raise, the byte and time caps). */
export interface EgressLimits {
  /** Largest response body kept, in bytes (default 5 MiB). */
  readonly maxResponseBytes: number
  /** Whole-request deadline: DNS, connection, every redirect and the body (default 30 s). */
  readonly timeoutMs: number
  /** Largest response header block, in bytes (default 16 KiB). */
  readonly maxHeaderBytes: number
  /** Redirects followed before the request is refused (default 5). */
  readonly maxRedirects: number
  /** Connection attempt timeout per address (default 10 s). */
  readonly connectTimeoutMs: number
}

/** The default limits. */
export const defaultLimits: EgressLimits = {
  maxResponseBytes: 5 * 1024 * 1024,
  timeoutMs: 30_000,
  maxHeaderBytes: 16 * 1024,
  maxRedirects: 5,
  connectTimeoutMs: 10_000
}

/** An outbound request. Header names are case-insensitive; `host` and hop-by-hop headers are refused. */
export interface EgressRequest {
  readonly url: string
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  /** A replayable body only (redirects may resend it to the same origin). */
  readonly body?: string | Uint8Array
  /** Lower the response byte cap for this request. */
  readonly maxBytes?: number
  /** Lower the deadline for this request. */
  readonly timeoutMs?: number
  /**
   * When the body passes the byte cap: `false` (default) fails with `too-large`; `true` stops
   * reading at the cap, drops the connection and returns the first bytes with `truncated`.
   */
  readonly truncate?: boolean
}

/** A completed response; the body was read in full within the byte cap. */
export interface EgressResponse {
  /** The final URL, after redirects. */
  readonly url: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
  readonly bytes: number
  /** True when the body was cut at the byte cap (only with `truncate: true`). */
  readonly truncated: boolean
  /** The checked address the final response came from. */
  readonly address: string
  /** Each URL redirected from, in order (without query or fragment). */
  readonly redirects: ReadonlyArray<string>
  /** The `requestId` of the recorded events of this request. */
  readonly requestId: string
}

/** What the guard decided about a URL without fetching it. */
export type EgressVerdict =
  | {
      readonly allowed: true
      readonly target: UrlTarget
      readonly addresses: ReadonlyArray<CheckedAddress>
    }
  | {
      readonly allowed: false
      /** The refusal or failure, exactly as `fetch` would reject. */
      readonly error: EgressError
      /** The deny decision, when policy refused (absent for a DNS failure). */
      readonly decision?: PolicyDecisionTraceV1
    }
