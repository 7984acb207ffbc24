import type { Effect, Schema } from "effect"
import type { AuditLogShape } from "../audit/AuditLog.js"
import type { OrchestratorShape } from "../orchestrator/Orchestrator.js"
import type { PolicyEngineShape } from "../policy/PolicyEngine.js"
import type { ApprovalStoreShape } from "../storage/ApprovalStore.js"
import type { Principal } from "./auth/ApiKeys.js"
import type { GatewayError } from "./GatewayError.js"
import type { Scope } from "./scopes.js"

/**
 * Who may call a method: callers holding a scope, any authenticated caller (`authenticated`),
 * or anyone (`public`: health and readiness only).
 */
export type MethodAccess = Scope | "authenticated" | "public"

/** How ready the host is to serve. */
export interface Readiness {
  readonly ready: boolean
  /** Each dependency checked, and `ok` or why not. */
  readonly checks: Readonly<Record<string, string>>
  /** True once shutdown has begun: the host finishes what it holds and takes nothing new. */
  readonly draining: boolean
}

/** The core services methods run on; the host builds them once. */
export interface GatewayServices {
  readonly orchestrator: OrchestratorShape
  readonly policy: PolicyEngineShape
  readonly audit: AuditLogShape
  readonly approvals: ApprovalStoreShape
  readonly readiness: Effect.Effect<Readiness>
  /** Reported by `health`. */
  readonly version: string
}

/** What a handler knows about the call besides its input. */
export interface MethodContext {
  /** Absent only for `public` methods. */
  readonly principal: Principal | undefined
  readonly requestId: string
  readonly services: GatewayServices
}

/**
 * One gateway method, independent of any transport: its name, who may call it, the schemas of
 * its input and output (the OpenAPI document is generated from these), and a handler over the
 * core services. A transport decodes nothing itself: `Gateway.call` authenticates, checks the
 * scope, decodes the input strictly (unknown keys refused) and runs the handler.
 */
export interface GatewayMethod<I extends Schema.Decoder<unknown> = Schema.Decoder<unknown>> {
  readonly name: string
  readonly access: MethodAccess
  readonly summary: string
  readonly description: string
  /** True for methods that change something (runs.create, runs.cancel, approvals.resolve). */
  readonly mutates: boolean
  readonly input: I
  readonly output: Schema.Top
  // Method syntax on purpose: the table holds methods of many input types, and `call` only
  // ever passes a handler what that method's own schema decoded.
  handle(input: I["Type"], context: MethodContext): Effect.Effect<unknown, GatewayError>
}

/** Declares a method, keeping its input type for the handler. */
export const defineMethod = <I extends Schema.Decoder<unknown>>(method: GatewayMethod<I>): GatewayMethod<I> =>
  method
