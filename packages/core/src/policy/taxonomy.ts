import { Schema } from "effect"
import type { ToolProfileName } from "../contracts/RunRequest.js"

/**
 * Tool groups known to the platform. Tools declare the groups they belong to; rules and tool
 * profiles name groups (`group:web`) instead of listing every tool. A policy document may declare
 * more groups of its own (`groups`); any other `group:` name in a rule is a configuration error.
 */
export const ToolGroups = {
  /** Reading and writing files in the run's workspace. */
  fs: "group:fs",
  /** Running commands and processes. */
  runtime: "group:runtime",
  /** Web search and fetching pages through the egress guard. */
  web: "group:web",
  /** Driving a browser. */
  browser: "group:browser",
  /** Sending messages to people (chat, email). */
  messaging: "group:messaging",
  /** The agent's own notes and memory; no effect outside the run. */
  memory: "group:memory"
} as const

/** A platform tool group name such as `group:web`. */
export type ToolGroup = (typeof ToolGroups)[keyof typeof ToolGroups]

/** Every platform tool group. */
export const toolGroups: ReadonlyArray<ToolGroup> = Object.values(ToolGroups)

/** The syntax of a group name, platform or declared: `group:` and a lowercase slug. */
export const ToolGroupName = Schema.String.check(
  Schema.isPattern(/^group:[a-z][a-z0-9_-]{0,63}$/u, { expected: "a group name such as group:crm" })
).annotate({ identifier: "ToolGroupName" })

/**
 * Risk classes of tools. A tool in one of these classes is "risky": it runs only in sandbox
 * lanes (`tools.riskyExecution`) and may need approval (`tools.riskyRequireApproval`). A tool
 * with no risk class is not risky; a tool with a risk class the platform does not know is
 * treated as risky (fail closed).
 */
export const RiskClasses = {
  /** Runs commands or code. */
  exec: "exec",
  /** Drives a browser. */
  browser: "browser",
  /** Writes or deletes files. */
  filesystemWrite: "filesystem_write",
  /** Sends something outside the business (email, chat, webhook, payment). */
  externalSend: "external_send"
} as const

/** A risk class name. */
export type RiskClass = (typeof RiskClasses)[keyof typeof RiskClasses]

/** Every risk class. */
export const riskClasses: ReadonlyArray<RiskClass> = Object.values(RiskClasses)

/** Risk classes a tool may declare that are not risky: no side effect, or reading only. */
export const lowRiskClasses = ["none", "read"] as const

/** A risk class, as written in rules and tool declarations. */
export const RiskClassName = Schema.Literals([
  "exec",
  "browser",
  "filesystem_write",
  "external_send",
  ...lowRiskClasses
])
export type RiskClassName = typeof RiskClassName.Type

const lowRiskSet: ReadonlySet<string> = new Set(lowRiskClasses)

/**
 * True when a tool of this risk class must stay in a sandbox lane. No class, `none` and `read`
 * are not risky; the four risky classes are; an unknown class is risky too, so a typo in a tool
 * declaration can only make it stricter.
 */
export const isRiskyClass = (riskClass: string | undefined): boolean =>
  riskClass !== undefined && !lowRiskSet.has(riskClass)

/**
 * The tool groups each run profile (`toolProfile.profile` of a run request) may use, before its
 * own `allow` and `deny` patterns. A profile never grants: it narrows what the other layers allow.
 */
export const ToolProfiles: Readonly<Record<ToolProfileName, ReadonlyArray<ToolGroup> | "all">> = {
  /** Only the agent's own memory. */
  minimal: [ToolGroups.memory],
  /** Memory and talking to people. */
  messaging: [ToolGroups.memory, ToolGroups.messaging],
  /** A typical business assistant: memory, messaging, files and the web. */
  standard: [ToolGroups.memory, ToolGroups.messaging, ToolGroups.fs, ToolGroups.web],
  /** Every tool the other layers allow, including tools in no group. */
  full: "all"
}

/**
 * Actions the platform asks the policy about, and the resource kind each acts on. Hosts may use
 * other dotted action names; a rule naming a known action with another resource kind can never
 * match and is rejected.
 */
export const PolicyActions = {
  toolInvoke: "tool.invoke",
  egressFetch: "egress.fetch",
  pluginInstall: "plugin.install",
  pluginLoad: "plugin.load",
  runCreate: "run.create",
  runCancel: "run.cancel",
  approvalResolve: "approval.resolve"
} as const

/** A known policy action. */
export type PolicyAction = (typeof PolicyActions)[keyof typeof PolicyActions]

/** Resource kinds a policy request can name. */
export type ResourceKind = "tool" | "host" | "plugin" | "run" | "approval"

/** The resource kind each known action applies to. */
export const actionResourceKind: Readonly<Record<PolicyAction, ResourceKind>> = {
  "tool.invoke": "tool",
  "egress.fetch": "host",
  "plugin.install": "plugin",
  "plugin.load": "plugin",
  "run.create": "run",
  "run.cancel": "run",
  "approval.resolve": "approval"
}
