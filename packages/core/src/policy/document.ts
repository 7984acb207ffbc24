import { Schema } from "effect"
import { ActorKind } from "../contracts/Actor.js"
import { PolicyEffect } from "../contracts/PolicyDecisionTrace.js"
import { BoundedString, CustomerInstanceId, Fact, SafeKey } from "../contracts/primitives.js"
import { RiskClassName, ToolGroupName } from "./taxonomy.js"

const oneOrMany = <S extends Schema.Top>(item: S, max = 256) =>
  Schema.Union([item, Schema.Array(item).check(Schema.isMaxLength(max))])

/**
 * A match pattern: an exact value, or a glob where `*` matches any run of characters and `?`
 * one character (`crm.*`, `*.example.com`, `tool.*`). For tool resources, `group:<name>`
 * matches every tool in that group.
 */
export const Pattern = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9_*?.:@/-][A-Za-z0-9_*?.:@/+-]{0,511}$/u, {
    expected: "a name, a glob such as crm.* or *.example.com, or a group such as group:web"
  })
).annotate({ identifier: "PolicyPattern" })

/** A rule id: unique across the whole policy document. */
export const RuleId = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/u, {
    expected: "a rule id of letters, digits, _ . : - (at most 128 characters)"
  })
).annotate({ identifier: "PolicyRuleId" })

/** Who a rule applies to. Every listed field must match; within a list, any entry may. */
export const SubjectMatcher = Schema.Struct({
  actorKinds: Schema.optionalKey(oneOrMany(ActorKind, 4)),
  actorIds: Schema.optionalKey(oneOrMany(Pattern)),
  /** The actor has at least one of these roles. */
  roles: Schema.optionalKey(oneOrMany(Pattern)),
  agentIds: Schema.optionalKey(oneOrMany(Pattern)),
  customerInstances: Schema.optionalKey(oneOrMany(CustomerInstanceId)),
  environments: Schema.optionalKey(oneOrMany(Pattern)),
  channels: Schema.optionalKey(oneOrMany(Pattern))
}).annotate({ identifier: "PolicySubjectMatcher" })
export type SubjectMatcher = typeof SubjectMatcher.Type

/** What a rule applies to. Every listed field must match; within a list, any entry may. */
export const ResourceMatcher = Schema.Struct({
  kinds: Schema.optionalKey(oneOrMany(Schema.Literals(["tool", "host", "plugin", "run", "approval"]), 5)),
  /** Names, globs, and (for tools) groups: `web_fetch`, `crm.*`, `group:web`, `*.example.com`. */
  names: Schema.optionalKey(oneOrMany(Pattern, 1024)),
  riskClasses: Schema.optionalKey(oneOrMany(RiskClassName, 8))
}).annotate({ identifier: "PolicyResourceMatcher" })
export type ResourceMatcher = typeof ResourceMatcher.Type

/** Where the request runs. */
export const ContextMatcher = Schema.Struct({
  sandboxed: Schema.optionalKey(Schema.Boolean)
}).annotate({ identifier: "PolicyContextMatcher" })
export type ContextMatcher = typeof ContextMatcher.Type

/** How a condition compares a fact with its value. */
export const ConditionOp = Schema.Literals([
  "equals",
  "in",
  "glob",
  "domainSuffix",
  "cidr",
  "lt",
  "lte",
  "gt",
  "gte"
])
export type ConditionOp = typeof ConditionOp.Type

/**
 * A test on one scalar: an argument fact (`fact`, from the request context) or a resource
 * attribute (`attribute`). A missing value, or one of the wrong type, never satisfies a
 * condition, so a rule whose facts are absent does not match.
 *
 * @example
 * ```json
 * { "fact": "amount", "op": "gt", "value": 1000 }
 * { "fact": "recipientDomain", "op": "domainSuffix", "value": ["example.com"] }
 * { "attribute": "ip", "op": "cidr", "value": "10.0.0.0/8" }
 * ```
 */
export const Condition = Schema.Struct({
  fact: Schema.optionalKey(SafeKey),
  attribute: Schema.optionalKey(SafeKey),
  op: ConditionOp,
  value: Schema.Union([Fact, Schema.Array(Fact).check(Schema.isMaxLength(1024))])
}).annotate({ identifier: "PolicyCondition" })
export type Condition = typeof Condition.Type

/**
 * One policy rule. It matches a request when every matcher it lists matches and every
 * condition in `when` holds; what it then contributes is its `effect`.
 */
export const Rule = Schema.Struct({
  id: RuleId,
  effect: PolicyEffect,
  /** Why the rule exists, in words an auditor understands; quoted in decision traces. */
  rationale: BoundedString(1024, 1),
  /** Actions (exact or glob). Absent: every action. */
  actions: Schema.optionalKey(oneOrMany(Pattern, 64)),
  subject: Schema.optionalKey(SubjectMatcher),
  resource: Schema.optionalKey(ResourceMatcher),
  context: Schema.optionalKey(ContextMatcher),
  when: Schema.optionalKey(Schema.Array(Condition).check(Schema.isMaxLength(32)))
}).annotate({ identifier: "PolicyRule" })
export type Rule = typeof Rule.Type

const RuleList = Schema.Struct({
  rules: Schema.Array(Rule).check(Schema.isMaxLength(10_000))
})

/**
 * A policy document, loaded from a JSON file. The platform layer is not written here: it comes
 * from the configuration (`tools.riskyExecution`, `tools.riskyRequireApproval`).
 *
 * @example
 * ```json
 * {
 *   "version": 1,
 *   "deployment": { "rules": [
 *     { "id": "web-for-all", "effect": "allow", "rationale": "Research is part of every job",
 *       "actions": "tool.invoke", "resource": { "names": "group:web" } }
 *   ] },
 *   "customerInstances": { "acme": { "rules": [] } },
 *   "agentProfiles": { "support-bot": { "rules": [] } }
 * }
 * ```
 */
export const PolicyDocument = Schema.Struct({
  $schema: Schema.optionalKey(Schema.String),
  version: Schema.Literal(1),
  /** Tool groups this deployment adds to the platform groups (`group:crm`). */
  groups: Schema.optionalKey(Schema.Array(ToolGroupName).check(Schema.isMaxLength(256))),
  deployment: Schema.optionalKey(RuleList),
  customerInstances: Schema.optionalKey(
    Schema.Record(CustomerInstanceId, RuleList).check(Schema.isMaxProperties(10_000))
  ),
  agentProfiles: Schema.optionalKey(
    Schema.Record(BoundedString(128, 1), RuleList).check(Schema.isMaxProperties(10_000))
  )
}).annotate({ identifier: "PolicyDocument", title: "PolicyDocument" })
export type PolicyDocument = typeof PolicyDocument.Type
