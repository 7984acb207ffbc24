import { Schema } from "effect"

/** What kind of mistake a policy problem is. */
export const PolicyProblemKind = Schema.Literals([
  "schema",
  "unknown-group",
  "duplicate-id",
  "never-matches",
  "bad-cidr",
  "bad-condition",
  "too-many-rules"
])
export type PolicyProblemKind = typeof PolicyProblemKind.Type

/** One mistake in a policy document, located by a JSON path such as `$.deployment.rules[2].id`. */
export const PolicyProblem = Schema.Struct({
  path: Schema.String,
  kind: PolicyProblemKind,
  message: Schema.String
})
export type PolicyProblem = typeof PolicyProblem.Type

/**
 * A policy document that could not be loaded. Nothing of it is used: a policy is applied whole
 * or not at all. `problems` names every mistake found, each with its path.
 */
export class PolicyConfigError extends Schema.TaggedError<PolicyConfigError>()(
  "@bga/core/PolicyConfigError",
  {
    reason: Schema.Literals(["not-found", "unreadable", "malformed", "invalid"]),
    source: Schema.String,
    problems: Schema.Array(PolicyProblem)
  }
) {
  override get message(): string {
    const lines = this.problems
      .slice(0, 20)
      .map((p) => `  ${p.path}: ${p.message} [${p.kind}]`)
      .join("\n")
    const more = this.problems.length > 20 ? `\n  (and ${this.problems.length - 20} more)` : ""
    return `policy ${this.source} is ${this.reason}:\n${lines}${more}`
  }
}

/**
 * A decision trace could not be recorded. The decision must then not be acted on: an action
 * without a kept decision is an action nobody can explain.
 */
export class PolicyTraceError extends Schema.TaggedError<PolicyTraceError>()("@bga/core/PolicyTraceError", {
  reason: Schema.Literals(["unavailable", "rejected"]),
  decisionId: Schema.String,
  cause: Schema.optionalKey(Schema.Defect())
}) {
  override get message(): string {
    return `decision trace ${this.decisionId} could not be recorded (${this.reason}); the decision must not be acted on`
  }
}
