import { Cause, Context, Effect, Exit, Layer, Option, Result } from "effect"
import { AuditLog } from "../audit/AuditLog.js"
import { decodeJson, decodeUnknown } from "../contracts/decode.js"
import { defaultJsonLimits, type JsonLimits } from "../json/limits.js"
import { Orchestrator } from "../orchestrator/Orchestrator.js"
import { PolicyEngine } from "../policy/PolicyEngine.js"
import { ApprovalStore } from "../storage/ApprovalStore.js"
import { ApiKeys, type ApiKeysShape, type AuthFailure, type Principal } from "./auth/ApiKeys.js"
import { GatewayError } from "./GatewayError.js"
import type { GatewayMethod, GatewayServices, MethodContext, Readiness } from "./GatewayMethod.js"
import { fromInvalidInput } from "./internal/errors.js"
import { gatewayMethods } from "./methods.js"
import { grants } from "./scopes.js"

/** One call of a gateway method, as any transport hands it over. */
export interface GatewayCall {
  /** The method name, e.g. `runs.create`. */
  readonly method: string
  /** The input as JSON text; absent or empty means `{}`. */
  readonly body?: string | undefined
  /** The presented credential (an API key), if any. */
  readonly credential?: string | undefined
  /** Where the call came from: the lockout counts failures per address. */
  readonly clientAddress: string
  readonly requestId: string
}

/** How a call ended. Every failure carries a `GatewayError` with a stable code. */
export type GatewayResult =
  | {
      readonly _tag: "Success"
      readonly value: unknown
      readonly method: GatewayMethod
      readonly principal: Principal | undefined
    }
  | {
      readonly _tag: "Failure"
      readonly error: GatewayError
      readonly method: GatewayMethod | undefined
      readonly principal: Principal | undefined
    }

/** A structured log line from the gateway (the host sends it to its logger). */
export type GatewayLog = (
  level: "info" | "warn" | "error",
  message: string,
  fields: Readonly<Record<string, unknown>>
) => void

/**
 * The gateway: every operator method, transport-agnostic. `call` authenticates the credential
 * (lockouts first), checks the method's scope, decodes the input strictly, runs the handler, and
 * turns every failure into a `GatewayError`; it never fails and never dies. Refused credentials
 * and refused scopes are audited as `auth_event` records.
 */
export interface GatewayShape {
  readonly call: (request: GatewayCall) => Effect.Effect<GatewayResult>
  readonly methods: ReadonlyArray<GatewayMethod>
}

/** The gateway port. */
export class Gateway extends Context.Service<Gateway, GatewayShape>()("@bga/core/Gateway") {}

/** Options of a gateway. */
export interface GatewayOptions {
  /**
   * The audit chain for refused credentials that name no existing key (missing, malformed,
   * unknown): they cannot be attributed to a customer instance, and writing them into the chain
   * of whatever instance a stranger typed would let anyone create chains.
   */
  readonly auditInstance: string
  /** Reported by `health`. */
  readonly version?: string
  /** Whether the host is shutting down (readiness fails, so load balancers stop sending work). */
  readonly draining?: () => boolean
  /** JSON limits applied to every input before it is decoded. */
  readonly limits?: JsonLimits
  readonly log?: GatewayLog
  /** The methods served; every method by default. */
  readonly methods?: ReadonlyArray<GatewayMethod>
}

/** What a gateway is built from. */
export interface GatewayDeps extends Omit<GatewayServices, "readiness" | "version"> {
  readonly keys: ApiKeysShape
}

const unauthenticated = new GatewayError({
  code: "unauthenticated",
  detail: "a valid API key is required (Authorization: Bearer bga1....)"
})

/** Builds a gateway over the core services. */
export const make = (deps: GatewayDeps, options: GatewayOptions): GatewayShape => {
  const methods = options.methods ?? gatewayMethods
  const byName = new Map(methods.map((m) => [m.name, m]))
  const limits = options.limits ?? defaultJsonLimits
  const log: GatewayLog = options.log ?? (() => {})
  const draining = options.draining ?? (() => false)
  const decoders = new Map(
    methods.map((m) => [
      m.name,
      {
        json: decodeJson(m.input, `${m.name} input`, limits),
        value: decodeUnknown(m.input, `${m.name} input`, limits)
      }
    ])
  )

  const readiness: Effect.Effect<Readiness> = Effect.map(
    Effect.result(deps.audit.head(options.auditInstance)),
    (head) => ({
      ready: Result.isSuccess(head),
      draining: draining(),
      checks: { storage: Result.isSuccess(head) ? "ok" : head.failure.message }
    })
  )
  const services: GatewayServices = {
    orchestrator: deps.orchestrator,
    policy: deps.policy,
    audit: deps.audit,
    approvals: deps.approvals,
    readiness,
    version: options.version ?? "0.0.0"
  }

  const audit = (
    instance: string,
    eventType: string,
    actorId: string | undefined,
    payload: Record<string, string | number | boolean>
  ) =>
    deps.audit
      .append(instance, {
        kind: "auth_event",
        eventType,
        ...(actorId === undefined ? {} : { actorId }),
        payload: { version: 1, ...payload }
      })
      .pipe(
        Effect.tapError((error) =>
          Effect.sync(() =>
            log("error", "could not audit an auth event", { eventType, error: error.message })
          )
        ),
        Effect.ignore
      )

  const refuseCredential = (request: GatewayCall, method: GatewayMethod, failure: AuthFailure) =>
    Effect.gen(function* () {
      // Failures of a key that exists go to its instance's chain; the rest to the gateway's own.
      const known =
        failure.reason === "bad_secret" || failure.reason === "revoked" || failure.reason === "expired"
      const instance =
        known && failure.customerInstanceId !== undefined ? failure.customerInstanceId : options.auditInstance
      const fields = {
        method: method.name,
        reason: failure.reason,
        clientAddress: request.clientAddress,
        requestId: request.requestId,
        ...(failure.keyId === undefined ? {} : { keyId: failure.keyId }),
        ...(failure.customerInstanceId === undefined || known
          ? {}
          : { namedInstance: failure.customerInstanceId })
      }
      log("warn", "credential refused", fields)
      if (failure.reason !== "locked") yield* audit(instance, "auth.denied", undefined, fields)
      if (failure.lockStarted !== undefined) {
        yield* audit(instance, "auth.locked_out", undefined, { ...fields, locked: failure.lockStarted })
      }
      if (failure.reason === "locked") {
        return new GatewayError({
          code: "locked_out",
          detail: "too many failed attempts; try again later",
          retryAfterSeconds: Math.max(1, Math.ceil((failure.retryAfterMs ?? 1000) / 1000))
        })
      }
      return unauthenticated
    })

  const auditForbidden = (
    request: GatewayCall,
    method: GatewayMethod,
    principal: Principal,
    error: GatewayError
  ) =>
    audit(principal.customerInstanceId, "auth.forbidden", principal.actor.id, {
      method: method.name,
      keyId: principal.keyId,
      reason: error.detail.slice(0, 1024),
      clientAddress: request.clientAddress,
      requestId: request.requestId
    })

  const failure = (
    error: GatewayError,
    method: GatewayMethod | undefined,
    principal: Principal | undefined
  ) => ({ _tag: "Failure", error, method, principal }) as const

  const call = (request: GatewayCall): Effect.Effect<GatewayResult> =>
    Effect.gen(function* () {
      const method = byName.get(request.method)
      if (method === undefined) {
        return failure(
          new GatewayError({
            code: "unknown_method",
            detail: `there is no method ${JSON.stringify(request.method.slice(0, 128))}`
          }),
          undefined,
          undefined
        )
      }
      let principal: Principal | undefined
      if (method.access !== "public") {
        const authenticated = yield* Effect.result(
          deps.keys.authenticate(request.credential, request.clientAddress)
        )
        if (Result.isFailure(authenticated)) {
          const error = authenticated.failure
          if (error._tag === "AuthFailure")
            return failure(yield* refuseCredential(request, method, error), method, undefined)
          log("error", "credential check failed: storage unavailable", {
            method: method.name,
            error: error.message
          })
          return failure(new GatewayError({ code: "unavailable", detail: error.message }), method, undefined)
        }
        principal = authenticated.success
        if (method.access !== "authenticated" && !grants(principal.scopes, method.access)) {
          const error = new GatewayError({
            code: "forbidden",
            detail: `${method.name} needs the scope ${method.access}, which this key does not have`
          })
          yield* auditForbidden(request, method, principal, error)
          return failure(error, method, principal)
        }
      }
      const decoder = decoders.get(method.name)!
      const body = request.body === undefined || request.body.trim() === "" ? undefined : request.body
      const input = body === undefined ? decoder.value({}) : decoder.json(body)
      if (Result.isFailure(input)) return failure(fromInvalidInput(input.failure), method, principal)
      const context: MethodContext = { principal, requestId: request.requestId, services }
      const exit = yield* Effect.exit(Effect.suspend(() => method.handle(input.success, context)))
      if (Exit.isSuccess(exit)) return { _tag: "Success", value: exit.value, method, principal } as const
      const error = Option.getOrUndefined(Exit.findErrorOption(exit))
      if (error !== undefined) {
        if (error.code === "forbidden" && principal !== undefined)
          yield* auditForbidden(request, method, principal, error)
        return failure(error, method, principal)
      }
      log("error", "method failed unexpectedly", {
        method: method.name,
        requestId: request.requestId,
        cause: Cause.pretty(exit.cause)
      })
      return failure(
        new GatewayError({ code: "internal", detail: `internal error (request ${request.requestId})` }),
        method,
        principal
      )
    })

  return { call, methods }
}

/** Provides the gateway over the core services in context. */
export const layer = (
  options: GatewayOptions
): Layer.Layer<Gateway, never, ApiKeys | Orchestrator | PolicyEngine | AuditLog | ApprovalStore> =>
  Layer.effect(
    Gateway,
    Effect.gen(function* () {
      return make(
        {
          keys: yield* Effect.service(ApiKeys),
          orchestrator: yield* Effect.service(Orchestrator),
          policy: yield* Effect.service(PolicyEngine),
          audit: yield* Effect.service(AuditLog),
          approvals: yield* Effect.service(ApprovalStore)
        },
        options
      )
    })
  )
