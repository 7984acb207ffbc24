import { Effect } from "effect"
import type { GovernanceContext, PluginAction, PluginGovernanceRecorder } from "../governance.js"
import { pluginDecision } from "../governance.js"
import { type PluginError, pluginError } from "../PluginError.js"

/**
 * Records one plugin decision: a denial when `error` is given (its reason becomes the rule),
 * an allowance otherwise. A recorder failure becomes `governance-failed`, so an unrecorded
 * decision never lets a plugin through.
 */
export const recordDecision = (
  governance: { readonly recorder: PluginGovernanceRecorder; readonly context: GovernanceContext },
  action: PluginAction,
  plugin: string,
  error: PluginError | undefined,
  allowed?: {
    readonly ruleId: string
    readonly detail: string
    readonly attributes?: Readonly<Record<string, string | number | boolean>>
  },
  deniedAttributes?: Readonly<Record<string, string | number | boolean>>
): Effect.Effect<void, PluginError> => {
  const attributes = error ? deniedAttributes : allowed?.attributes
  const { decision, event } = pluginDecision(governance.context, {
    action,
    plugin,
    allowed: error === undefined,
    ruleId: error
      ? error.reason === "permission-denied"
        ? "plugins.permissions"
        : `plugins.${error.reason}`
      : (allowed?.ruleId ?? "plugins.allow"),
    detail: error ? error.message : (allowed?.detail ?? "allowed"),
    ...(error ? { reason: error.reason } : {}),
    ...(attributes ? { attributes } : {})
  })
  return governance.recorder
    .record(decision, event)
    .pipe(
      Effect.mapError((cause) =>
        pluginError("governance-failed", plugin, "the decision could not be recorded; refusing", { cause })
      )
    )
}
