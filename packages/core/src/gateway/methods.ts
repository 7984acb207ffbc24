import { Effect, Schema } from "effect"
import { auditKindPattern, eventTypePattern } from "../audit/AuditRecord.js"
import { PolicyDecisionTraceV1 } from "../contracts/PolicyDecisionTrace.js"
import { BoundedString, CustomerInstanceId, Environment, Id, Timestamp } from "../contracts/primitives.js"
import {
  ChannelContext,
  PolicyContext,
  RunInput,
  type RunRequestV2,
  ToolProfile
} from "../contracts/RunRequest.js"
import { RunState } from "../contracts/RunState.js"
import { PolicyRequest } from "../policy/request.js"
import type { Principal } from "./auth/ApiKeys.js"
import { GatewayError } from "./GatewayError.js"
import { defineMethod, type GatewayMethod, type MethodContext } from "./GatewayMethod.js"
import {
  forbidden,
  fromApprovalResolve,
  fromInvalidInput,
  fromOrchestrator,
  unavailable
} from "./internal/errors.js"
import {
  ApprovalRecordPage,
  ApprovalRecordSchema,
  AuditRecordPage,
  PrincipalSchema,
  RunEventPage,
  RunViewPage,
  RunViewSchema,
  VerifyReportSchema
} from "./schemas.js"

const principalOf = (context: MethodContext): Principal => {
  if (context.principal === undefined) throw new Error("an authenticated method ran without a principal")
  return context.principal
}

const Limit = (max: number) =>
  Schema.Int.check(
    Schema.isBetween({ minimum: 1, maximum: max }, { expected: `an integer from 1 to ${max}` })
  )
const Cursor = BoundedString(1024, 1)
/** The input of methods that take none (`{}` or no body). */
export const EmptyInput = Schema.Struct({}).annotate({ identifier: "Empty" })
const Empty = EmptyInput

/** Input of `runs.create`: a run request whose instance, environment and actor come from the credential. */
export const RunsCreateInput = Schema.Struct({
  runId: Schema.optionalKey(Id),
  /** When given, must be the credential's own instance (a request for another one is refused and audited). */
  customerInstanceId: Schema.optionalKey(CustomerInstanceId),
  /** When given, must be the credential's environment. */
  environment: Schema.optionalKey(Environment),
  input: RunInput,
  channelContext: Schema.optionalKey(ChannelContext),
  toolProfile: Schema.optionalKey(ToolProfile),
  policyContext: Schema.optionalKey(PolicyContext),
  idempotencyKey: Schema.optionalKey(BoundedString(200, 1))
}).annotate({ identifier: "RunsCreateInput" })

const RunRef = Schema.Struct({ runId: Id }).annotate({ identifier: "RunRef" })

const runsCreate = defineMethod({
  name: "runs.create",
  access: "runs:write",
  summary: "Start a run",
  description:
    "Creates a run for the credential's customer instance and queues it. The run acts as the credential's actor. With `idempotencyKey`, a retried request returns the first run (`created: false`) instead of starting a second.",
  mutates: true,
  input: RunsCreateInput,
  output: Schema.Struct({ run: RunViewSchema, created: Schema.Boolean }).annotate({
    identifier: "RunsCreateOutput"
  }),
  handle: (input, context) => {
    const principal = principalOf(context)
    if (input.customerInstanceId !== undefined && input.customerInstanceId !== principal.customerInstanceId) {
      return Effect.fail(forbidden("the credential is bound to another customer instance"))
    }
    if (input.environment !== undefined && input.environment !== principal.environment) {
      return Effect.fail(forbidden(`the credential is bound to the environment ${principal.environment}`))
    }
    const request: RunRequestV2 = {
      version: 2,
      customerInstanceId: principal.customerInstanceId,
      environment: principal.environment,
      actor: principal.actor,
      input: input.input,
      ...(input.runId === undefined ? {} : { runId: input.runId }),
      ...(input.channelContext === undefined ? {} : { channelContext: input.channelContext }),
      ...(input.toolProfile === undefined ? {} : { toolProfile: input.toolProfile }),
      ...(input.policyContext === undefined ? {} : { policyContext: input.policyContext }),
      ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey })
    }
    return Effect.mapError(context.services.orchestrator.create(request), fromOrchestrator)
  }
})

const runsGet = defineMethod({
  name: "runs.get",
  access: "runs:read",
  summary: "Read a run",
  description: "A run of the credential's customer instance; a run of any other instance is `not_found`.",
  mutates: false,
  input: RunRef,
  output: RunViewSchema,
  handle: (input, context) =>
    Effect.mapError(
      context.services.orchestrator.get(principalOf(context).customerInstanceId, input.runId),
      fromOrchestrator
    )
})

const runsList = defineMethod({
  name: "runs.list",
  access: "runs:read",
  summary: "List runs",
  description:
    "Runs of the credential's customer instance, newest first, optionally in one state or by one actor.",
  mutates: false,
  input: Schema.Struct({
    state: Schema.optionalKey(RunState),
    actorId: Schema.optionalKey(BoundedString(256, 1)),
    limit: Schema.optionalKey(Limit(100)),
    cursor: Schema.optionalKey(Cursor)
  }).annotate({ identifier: "RunsListInput" }),
  output: RunViewPage,
  handle: (input, context) =>
    Effect.mapError(
      context.services.orchestrator.list(principalOf(context).customerInstanceId, input),
      fromOrchestrator
    )
})

const runsCancel = defineMethod({
  name: "runs.cancel",
  access: "runs:write",
  summary: "Cancel a run",
  description:
    "Cancels a live run; the model call and the tool handler in flight are aborted. Cancelling an ended run is `already_ended`.",
  mutates: true,
  input: Schema.Struct({ runId: Id, reason: Schema.optionalKey(BoundedString(1024, 1)) }).annotate({
    identifier: "RunsCancelInput"
  }),
  output: RunViewSchema,
  handle: (input, context) => {
    const principal = principalOf(context)
    return Effect.mapError(
      context.services.orchestrator.cancel(principal.customerInstanceId, input.runId, {
        actor: principal.actor,
        ...(input.reason === undefined ? {} : { reason: input.reason })
      }),
      fromOrchestrator
    )
  }
})

const runsEvents = defineMethod({
  name: "runs.events",
  access: "runs:read",
  summary: "A run's timeline",
  description: "The run's events (`RunEventV1`), oldest first.",
  mutates: false,
  input: Schema.Struct({
    runId: Id,
    limit: Schema.optionalKey(Limit(1000)),
    cursor: Schema.optionalKey(Cursor)
  }).annotate({ identifier: "RunsEventsInput" }),
  output: RunEventPage,
  handle: (input, context) =>
    Effect.mapError(
      context.services.orchestrator.events(principalOf(context).customerInstanceId, input.runId, {
        ...(input.limit === undefined ? {} : { limit: input.limit }),
        ...(input.cursor === undefined ? {} : { cursor: input.cursor })
      }),
      fromOrchestrator
    )
})

const policyEvaluate = defineMethod({
  name: "policy.evaluate",
  access: "policy:read",
  summary: "Ask the policy",
  description:
    "What the policy in force would decide for a request, with the full decision trace (matched rules, the deciding rule, the rationale). A question, not an action: nothing is executed and nothing is recorded in the audit log; the decisions BGA acts on are recorded where they are made. The subject must be in the credential's customer instance.",
  mutates: false,
  input: PolicyRequest,
  output: PolicyDecisionTraceV1,
  handle: (input, context) =>
    input.subject.customerInstanceId === principalOf(context).customerInstanceId
      ? context.services.policy.explain(input)
      : Effect.fail(forbidden("the subject is in another customer instance than the credential"))
})

const AuditKindName = Schema.String.check(Schema.isPattern(auditKindPattern, { expected: "an audit kind" }))

const auditList = defineMethod({
  name: "audit.events.list",
  access: "audit:read",
  summary: "Query the audit log",
  description:
    "Records of the credential's customer instance's audit chain that match every given filter, in chain order (or newest first with `order: desc`).",
  mutates: false,
  input: Schema.Struct({
    runId: Schema.optionalKey(Id),
    kinds: Schema.optionalKey(Schema.Array(AuditKindName).check(Schema.isMaxLength(16))),
    eventType: Schema.optionalKey(
      Schema.String.check(
        Schema.isPattern(eventTypePattern, { expected: "an event type such as auth.denied" })
      )
    ),
    decisionId: Schema.optionalKey(Id),
    actorId: Schema.optionalKey(BoundedString(256, 1)),
    from: Schema.optionalKey(Timestamp),
    to: Schema.optionalKey(Timestamp),
    order: Schema.optionalKey(Schema.Literals(["asc", "desc"])),
    limit: Schema.optionalKey(Limit(1000)),
    cursor: Schema.optionalKey(Cursor)
  }).annotate({ identifier: "AuditEventsListInput" }),
  output: AuditRecordPage,
  handle: (input, context) =>
    Effect.mapError(context.services.audit.list(principalOf(context).customerInstanceId, input), (error) =>
      error._tag === "@bga/core/InvalidInputError" ? fromInvalidInput(error) : unavailable(error)
    )
})

const SeqNumber = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

const auditVerify = defineMethod({
  name: "audit.verify",
  access: "audit:read",
  summary: "Verify the audit chain",
  description:
    "Recomputes every hash and link of the credential's customer instance's chain (or of a range of it) and reports each modified, deleted, inserted or reordered record.",
  mutates: false,
  input: Schema.Struct({
    fromSeq: Schema.optionalKey(SeqNumber),
    toSeq: Schema.optionalKey(SeqNumber)
  }).annotate({ identifier: "AuditVerifyInput" }),
  output: VerifyReportSchema,
  handle: (input, context) =>
    Effect.mapError(context.services.audit.verify(principalOf(context).customerInstanceId, input), (error) =>
      error._tag === "@bga/core/InvalidInputError" ? fromInvalidInput(error) : unavailable(error)
    )
})

const approvalsList = defineMethod({
  name: "approvals.list",
  access: "approvals:read",
  summary: "The approvals queue",
  description:
    "Pending approvals of the credential's customer instance whose deadline has not passed, oldest first. `approvals:resolve` includes this scope.",
  mutates: false,
  input: Schema.Struct({
    runId: Schema.optionalKey(Id),
    limit: Schema.optionalKey(Limit(1000)),
    cursor: Schema.optionalKey(Cursor)
  }).annotate({ identifier: "ApprovalsListInput" }),
  output: ApprovalRecordPage,
  handle: (input, context) =>
    Effect.mapError(
      context.services.approvals.listPending(principalOf(context).customerInstanceId, input),
      (error) => (error._tag === "@bga/core/InvalidInputError" ? fromInvalidInput(error) : unavailable(error))
    )
})

const approvalsResolve = defineMethod({
  name: "approvals.resolve",
  access: "approvals:resolve",
  summary: "Approve or deny a tool call",
  description:
    "Records the credential's actor's decision on a pending approval, once, and resumes its run. The policy must also allow the actor `approval.resolve` (the decision is audited either way).",
  mutates: true,
  input: Schema.Struct({
    approvalId: Id,
    outcome: Schema.Literals(["approved", "denied"]),
    reason: Schema.optionalKey(BoundedString(4096, 1))
  }).annotate({ identifier: "ApprovalsResolveInput" }),
  output: ApprovalRecordSchema,
  handle: (input, context) => {
    const principal = principalOf(context)
    return Effect.mapError(
      context.services.orchestrator.resolveApproval(principal.customerInstanceId, {
        approvalId: input.approvalId,
        actor: principal.actor,
        environment: principal.environment,
        outcome: input.outcome,
        reason: input.reason
      }),
      fromApprovalResolve
    )
  }
})

const whoami = defineMethod({
  name: "auth.whoami",
  access: "authenticated",
  summary: "The caller's credential",
  description:
    "The customer instance, environment, actor and scopes of the credential used (the admin UI shows what it may do).",
  mutates: false,
  input: Empty,
  output: PrincipalSchema,
  handle: (_, context) => Effect.succeed(principalOf(context))
})

const health = defineMethod({
  name: "health",
  access: "public",
  summary: "Liveness",
  description: "Answers while the process serves requests.",
  mutates: false,
  input: Empty,
  output: Schema.Struct({ status: Schema.Literal("ok"), version: Schema.String }).annotate({
    identifier: "HealthOutput"
  }),
  handle: (_, context) => Effect.succeed({ status: "ok" as const, version: context.services.version })
})

const ReadinessSchema = Schema.Struct({
  status: Schema.Literal("ready"),
  checks: Schema.Record(Schema.String, Schema.String)
}).annotate({ identifier: "ReadinessOutput" })

const ready = defineMethod({
  name: "ready",
  access: "public",
  summary: "Readiness",
  description:
    "Ready when storage answers and the host is not shutting down; otherwise `unavailable` or `shutting_down` (HTTP 503), so a load balancer stops sending work.",
  mutates: false,
  input: Empty,
  output: ReadinessSchema,
  handle: (_, context) =>
    Effect.flatMap(context.services.readiness, (readiness) => {
      if (readiness.draining) {
        return Effect.fail(
          new GatewayError({ code: "shutting_down", detail: "the gateway is shutting down" })
        )
      }
      if (!readiness.ready) {
        const failed = Object.entries(readiness.checks)
          .filter(([, v]) => v !== "ok")
          .map(([k, v]) => `${k}: ${v}`)
        return Effect.fail(
          new GatewayError({ code: "unavailable", detail: `not ready (${failed.join("; ")})` })
        )
      }
      return Effect.succeed({ status: "ready" as const, checks: readiness.checks })
    })
})

/** Every gateway method, in the order the OpenAPI document and the admin UI list them. */
export const gatewayMethods: ReadonlyArray<GatewayMethod> = [
  runsCreate,
  runsGet,
  runsList,
  runsCancel,
  runsEvents,
  approvalsList,
  approvalsResolve,
  auditList,
  auditVerify,
  policyEvaluate,
  whoami,
  health,
  ready
] as ReadonlyArray<GatewayMethod>

/** The methods by name. */
export const methodsByName: ReadonlyMap<string, GatewayMethod> = new Map(
  gatewayMethods.map((m) => [m.name, m])
)
