import { Context, Effect, Layer, Result, type Scope } from "effect"
import { ConfigService } from "../config/load.js"
import type { BgaConfig } from "../config/schema.js"
import type { EgressContext } from "./decision.js"
import { type EgressConfigError, EgressError } from "./EgressError.js"
import { EgressRecorder, type EgressRecorderShape } from "./events.js"
import {
  defaultLimits,
  type EgressLimits,
  type EgressRequest,
  type EgressResponse,
  type EgressVerdict,
  Engine
} from "./internal/engine.js"
import type { EgressTlsOptions } from "./internal/pools.js"
import { makePolicy, policiesFor } from "./policy.js"
import { type EgressResolver, systemResolver } from "./resolver.js"

/** The egress guard as an Effect service: the only way BGA code reaches the network. */
export interface EgressGuardShape {
  /** Fetches a URL under the policy of `context.customerInstanceId`; blocks and failures are `EgressError`s. */
  readonly fetch: (
    request: EgressRequest,
    context: EgressContext
  ) => Effect.Effect<EgressResponse, EgressError>
  /** Decides about a URL, DNS included, without connecting or recording (a dry run). */
  readonly check: (url: string, context: EgressContext) => Effect.Effect<EgressVerdict>
}

/** The `EgressGuard` port. */
export class EgressGuard extends Context.Service<EgressGuard, EgressGuardShape>()("@bga/core/EgressGuard") {}

/** How to build a guard: `config` and `recorder` are required; everything else has a production default. */
export interface EgressGuardOptions {
  readonly config: BgaConfig
  readonly recorder: EgressRecorderShape
  /** Defaults to the system resolver; tests inject answers here. */
  readonly resolver?: EgressResolver
  /** Overrides of the default limits. */
  readonly limits?: Partial<EgressLimits>
  /** TLS options for hosts behind a private CA. */
  readonly tls?: EgressTlsOptions
  /** Keep-alive pools kept open at once (default 128), and connections per pool (default 16). */
  readonly maxPools?: number
  readonly connectionsPerPool?: number
}

/**
 * Builds the guard engine after validating every customer instance's egress settings. The
 * result is a plain object with Promise methods; `make` and the Promise API wrap it.
 */
export const makeEngine = (options: EgressGuardOptions): Result.Result<Engine, EgressConfigError> => {
  const policies = policiesFor(options.config)
  if (Result.isFailure(policies)) return Result.fail(policies.failure)
  const map = policies.success
  // Instances without settings of their own get the platform policy (validated above).
  const platform = Result.getOrThrow(makePolicy("*", options.config.security.egress, undefined))
  const policyOf = (id: string) => map.get(id) ?? { ...platform, customerInstanceId: id }
  return Result.succeed(
    new Engine({
      policyOf,
      resolver: options.resolver ?? systemResolver,
      recorder: options.recorder,
      limits: { ...defaultLimits, ...options.limits },
      pools: {
        maxPools: options.maxPools ?? 128,
        connectionsPerPool: options.connectionsPerPool ?? 16,
        ...(options.tls === undefined ? {} : { tls: options.tls })
      }
    })
  )
}

const toEffectApi = (engine: Engine): EgressGuardShape => ({
  fetch: (request, context) =>
    Effect.tryPromise({
      try: (signal) =>
        engine.fetch(request, {
          ...context,
          signal: context.signal === undefined ? signal : AbortSignal.any([signal, context.signal])
        }),
      catch: (error) =>
        error instanceof EgressError
          ? error
          : new EgressError({
              reason: "protocol",
              url: "",
              detail: String(error).slice(0, 512),
              cause: error
            })
    }),
  check: (url, context) =>
    Effect.promise((signal) =>
      engine.check(url, {
        ...context,
        signal: context.signal === undefined ? signal : AbortSignal.any([signal, context.signal])
      })
    )
})

/** Makes a guard whose connection pools close when the scope closes. */
export const make = (
  options: EgressGuardOptions
): Effect.Effect<EgressGuardShape, EgressConfigError, Scope.Scope> =>
  Effect.acquireRelease(Effect.fromResult(makeEngine(options)), (engine) =>
    Effect.promise(() => engine.close())
  ).pipe(Effect.map(toEffectApi))

/** Provides the guard from the loaded configuration and the `EgressRecorder` service. */
export const layer = (
  options: Omit<EgressGuardOptions, "config" | "recorder"> = {}
): Layer.Layer<EgressGuard, EgressConfigError, ConfigService | EgressRecorder> =>
  Layer.effect(
    EgressGuard,
    Effect.gen(function* () {
      const config = yield* ConfigService
      const recorder = yield* EgressRecorder
      return yield* make({ ...options, config, recorder })
    })
  )

/** Provides the guard from explicit options (tests, hosts that assemble services by hand). */
export const layerWith = (options: EgressGuardOptions): Layer.Layer<EgressGuard, EgressConfigError> =>
  Layer.effect(EgressGuard, make(options))
