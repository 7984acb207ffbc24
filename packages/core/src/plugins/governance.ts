import { Context, Effect, Layer } from "effect"
import type { Actor } from "../contracts/Actor.js"
import type { PolicyDecisionTraceV1 } from "../contracts/PolicyDecisionTrace.js"
import { newId } from "../ids.js"
import type { PluginErrorReason } from "./PluginError.js"

/** What a plugin decision is about: installing it, loading it, or one capability call. */
export type PluginAction = "plugin.install" | "plugin.load" | "plugin.capability"

/** Who the host acts for when it installs or loads plugins; it lands in every decision. */
export interface GovernanceContext {
  readonly customerInstanceId: string
  readonly environment: string
  readonly actor: Actor
}

/** The context used when a host does not name one: the platform itself, in production. */
export const platformContext: GovernanceContext = {
  customerInstanceId: "platform",
  environment: "production",
  actor: { kind: "system", id: "bga", roles: [] }
}

/** The audit event that accompanies each plugin decision (the audit log stores both). */
export interface PluginAuditEvent {
  readonly version: 1
  readonly eventId: string
  readonly type: PluginAction
  readonly outcome: "allowed" | "denied"
  readonly customerInstanceId: string
  readonly ts: string
  /** `name@version`, or where the package came from when its manifest could not be read. */
  readonly plugin: string
  readonly decisionId: string
  readonly reason?: PluginErrorReason
  readonly detail: string
  readonly attributes?: Readonly<Record<string, string | number | boolean>>
}

/**
 * Where plugin decisions go. The host wires it to the policy engine's trace store and the
 * audit log; a failure to record blocks the install or load (fail closed).
 */
export interface PluginGovernanceRecorder {
  readonly record: (decision: PolicyDecisionTraceV1, event: PluginAuditEvent) => Effect.Effect<void, unknown>
}

/** Service key of the recorder for Effect programs. */
export class PluginGovernance extends Context.Service<PluginGovernance, PluginGovernanceRecorder>()(
  "@bga/core/PluginGovernance"
) {}

/** Input of `pluginDecision`. */
export interface PluginDecisionInput {
  readonly action: PluginAction
  readonly plugin: string
  readonly allowed: boolean
  /** The rule that decided, e.g. `plugins.trust.signed` or `plugins.unsigned`. */
  readonly ruleId: string
  readonly detail: string
  readonly reason?: PluginErrorReason
  readonly attributes?: Readonly<Record<string, string | number | boolean>>
}

/**
 * Builds the policy decision and audit event for one plugin decision. Plugin trust rules are
 * platform-layer rules: no narrower layer can allow an unsigned or untrusted plugin.
 */
export const pluginDecision = (
  context: GovernanceContext,
  input: PluginDecisionInput
): { readonly decision: PolicyDecisionTraceV1; readonly event: PluginAuditEvent } => {
  const decisionId = newId()
  const ts = new Date().toISOString()
  const effect = input.allowed ? "allow" : "deny"
  const rule = { ruleId: input.ruleId, layer: "platform", effect } as const
  const attributes = { ...input.attributes, ...(input.reason ? { reason: input.reason } : {}) }
  const decision: PolicyDecisionTraceV1 = {
    version: 1,
    decisionId,
    customerInstanceId: context.customerInstanceId,
    ts,
    subject: {
      actor: context.actor,
      customerInstanceId: context.customerInstanceId,
      environment: context.environment
    },
    action: input.action,
    resource: {
      kind: "plugin",
      name: input.plugin.slice(0, 512),
      ...(Object.keys(attributes).length > 0 ? { attributes } : {})
    },
    effect,
    matchedRules: [rule],
    decidingRule: rule,
    requiresApproval: false,
    rationale: input.detail.slice(0, 4096)
  }
  const event: PluginAuditEvent = {
    version: 1,
    eventId: newId(),
    type: input.action,
    outcome: input.allowed ? "allowed" : "denied",
    customerInstanceId: context.customerInstanceId,
    ts,
    plugin: input.plugin,
    decisionId,
    detail: input.detail,
    ...(input.reason ? { reason: input.reason } : {}),
    ...(input.attributes ? { attributes: input.attributes } : {})
  }
  return { decision, event }
}

/** An in-memory recorder that keeps every decision (tests, demos, the CLI's dry runs). */
export interface MemoryRecorder extends PluginGovernanceRecorder {
  readonly entries: ReadonlyArray<{
    readonly decision: PolicyDecisionTraceV1
    readonly event: PluginAuditEvent
  }>
}

/** Makes an in-memory recorder. */
export const makeMemoryRecorder = (): MemoryRecorder => {
  const entries: Array<{ decision: PolicyDecisionTraceV1; event: PluginAuditEvent }> = []
  return {
    entries,
    record: (decision, event) => Effect.sync(() => void entries.push({ decision, event }))
  }
}

/** Provides an in-memory recorder. */
export const layerMemory: Layer.Layer<PluginGovernance> = Layer.sync(PluginGovernance, makeMemoryRecorder)
