import { Result } from "effect"
import type { EgressContext } from "./decision.js"
import { type EgressGuardOptions, makeEngine } from "./EgressGuard.js"
import type { EgressRequest, EgressResponse, EgressVerdict } from "./internal/engine.js"

/** The egress guard for code that does not use Effect. Rejections are `EgressError`s. */
export interface PromiseEgressGuard {
  readonly fetch: (request: EgressRequest, context: EgressContext) => Promise<EgressResponse>
  readonly check: (url: string, context: EgressContext) => Promise<EgressVerdict>
  /** Closes every pooled connection; the guard refuses requests afterwards. */
  readonly close: () => Promise<void>
}

/**
 * Creates a guard with a Promise API. Throws `EgressConfigError` when an egress setting
 * cannot be applied (nothing is opened in that case).
 *
 * @example
 * ```ts
 * import { createEgressGuard, recorderFromPromise } from "@bga/core/egress"
 * const guard = createEgressGuard({ config, recorder: recorderFromPromise((e) => audit.append(e)) })
 * const res = await guard.fetch({ url: "https://api.example.com/v1/items" }, context)
 * ```
 */
export const createEgressGuard = (options: EgressGuardOptions): PromiseEgressGuard => {
  const engine = makeEngine(options)
  if (Result.isFailure(engine)) throw engine.failure
  const e = engine.success
  return {
    fetch: (request, context) => e.fetch(request, context),
    check: (url, context) => e.check(url, context),
    close: () => e.close()
  }
}
