import { Effect, Redacted, Result, Schema } from "effect"
import type { AuditEntry } from "../../audit/AuditEntry.js"
import type { AuditLogShape } from "../../audit/AuditLog.js"
import { instanceSettings } from "../../config/load.js"
import type { BgaConfig } from "../../config/schema.js"
import type { ApprovalRequestV1 } from "../../contracts/Approval.js"
import type { PolicyDecisionTraceV1 } from "../../contracts/PolicyDecisionTrace.js"
import { ToolName } from "../../contracts/primitives.js"
import type { ToolInvocationV1, ToolOutcome } from "../../contracts/ToolInvocation.js"
import type { EgressGuardShape } from "../../egress/EgressGuard.js"
import { hashOf } from "../../hash.js"
import { newId } from "../../ids.js"
import type { JsonProblem } from "../../json/JsonError.js"
import type { PolicyEngineShape } from "../../policy/PolicyEngine.js"
import { isRiskyClass } from "../../policy/taxonomy.js"
import type { SandboxDriverShape } from "../../sandbox/SandboxDriver.js"
import type { SandboxLane } from "../../sandbox/types.js"
import { makeScrubber, type SecretScrubber } from "../../secrets/redact.js"
import type { SecretsShape } from "../../secrets/Secrets.js"
import type { ApprovalStoreShape } from "../../storage/ApprovalStore.js"
import { isoOf } from "../../storage/validate.js"
import { makeRateLimiter, type RateLimit } from "../RateLimiter.js"
import type { ToolContext, ToolDefinition, ToolSandbox } from "../ToolDefinition.js"
import type { ToolRegistry } from "../ToolRegistry.js"
import { ToolRuntimeError } from "../ToolRuntimeError.js"
import { type CallSubject, runtimeDenial, toolPolicyRequest } from "./decisions.js"
import { type ExecutionResult, executeHandler } from "./execute.js"
import { argsPreview } from "./preview.js"

/** One tool call as the agent loop asks for it. */
export interface InvokeRequest extends CallSubject {
  readonly toolName: string
  /** Arguments as the model produced them: untrusted. */
  readonly args: unknown
  /** Resume a call that waited for approval: the approval that allows exactly these arguments. */
  readonly approvalId?: string | undefined
  /** Aborted when the run is cancelled. */
  readonly signal?: AbortSignal | undefined
  /** Tool calls the run made before this process took it over (after a restart). */
  readonly priorToolCalls?: number | undefined
}

interface Recorded {
  readonly decision: PolicyDecisionTraceV1
  readonly invocation: ToolInvocationV1 | undefined
}

/** How a call ended. Every variant carries the decision; every variant with a valid tool name, its invocation record. */
export type InvokeOutcome =
  | (Recorded & {
      readonly _tag: "Succeeded"
      readonly invocation: ToolInvocationV1
      readonly output: unknown
      readonly truncated: boolean
    })
  | (Recorded & {
      readonly _tag: "Failed"
      readonly invocation: ToolInvocationV1
      readonly errorCode: string
      readonly message: string
    })
  | (Recorded & { readonly _tag: "Denied"; readonly message: string })
  | (Recorded & {
      readonly _tag: "InvalidArguments"
      readonly invocation: ToolInvocationV1
      readonly problems: ReadonlyArray<JsonProblem>
    })
  | (Recorded & {
      readonly _tag: "ApprovalRequired"
      readonly invocation: ToolInvocationV1
      readonly approval: ApprovalRequestV1
    })

/** Limits the runtime enforces on its own, before policy. */
export interface RuntimeLimits {
  /** Tool calls one run may make (default 200). */
  readonly maxToolCallsPerRun?: number
  /** Tool-call rate per customer instance, per process (default: none). */
  readonly rateLimit?: (customerInstanceId: string) => RateLimit | undefined
}

/** What the runtime is built from. */
export interface ToolRuntimeDeps {
  readonly registry: ToolRegistry
  readonly config: BgaConfig
  readonly policy: PolicyEngineShape
  readonly audit: AuditLogShape
  readonly approvals: ApprovalStoreShape
  readonly secrets: SecretsShape
  readonly sandbox?: SandboxDriverShape | undefined
  readonly egress?: EgressGuardShape | undefined
  readonly limits?: RuntimeLimits | undefined
  /** Structured log sink; lines are scrubbed of the call's secrets before they reach it. */
  readonly log?: ((line: Readonly<Record<string, unknown>>) => void) | undefined
  readonly now?: (() => Date) | undefined
}

const isToolName = Schema.is(ToolName)

const auditFailure = (error: { readonly message: string }) =>
  new ToolRuntimeError({ reason: "audit-unavailable", detail: error.message })

/** The invoke pipeline: the only code that calls a tool handler. */
export const makeInvoke = (deps: ToolRuntimeDeps) => {
  const now = deps.now ?? (() => new Date())
  const maxCalls = deps.limits?.maxToolCallsPerRun ?? 200
  const rateLimiter = makeRateLimiter(deps.limits?.rateLimit ?? (() => undefined))
  const callsByRun = new Map<string, number>()

  const countCall = (request: InvokeRequest): number => {
    const key = `${request.customerInstanceId}/${request.runId}`
    const count = (callsByRun.get(key) ?? request.priorToolCalls ?? 0) + 1
    // Bounded: a long-lived process forgets the oldest runs (their budgets restart from priorToolCalls).
    if (!callsByRun.has(key) && callsByRun.size >= 100_000)
      callsByRun.delete(callsByRun.keys().next().value as string)
    callsByRun.set(key, count)
    return count
  }

  // Building a scrubber (secret variants, one regular expression) costs more than the rest of a
  // call's runtime work; calls of one tool in one instance reuse the last one while the tool's
  // secrets still have the same values. Bounded like the call counts.
  const scrubbers = new Map<
    string,
    { readonly values: ReadonlyArray<string>; readonly scrubber: SecretScrubber }
  >()
  const scrubberFor = (customerInstanceId: string, toolName: string, values: ReadonlyArray<string>) => {
    if (values.length === 0) return makeScrubber(values)
    const key = `${customerInstanceId}/${toolName}`
    const kept = scrubbers.get(key)
    if (
      kept !== undefined &&
      kept.values.length === values.length &&
      kept.values.every((v, i) => v === values[i])
    ) {
      return kept.scrubber
    }
    const scrubber = makeScrubber(values)
    if (kept === undefined && scrubbers.size >= 10_000)
      scrubbers.delete(scrubbers.keys().next().value as string)
    scrubbers.set(key, { values, scrubber })
    return scrubber
  }

  const append = (customerInstanceId: string, entries: ReadonlyArray<AuditEntry>) =>
    Effect.mapError(deps.audit.appendAll(customerInstanceId, entries), auditFailure)

  const invocationOf = (
    request: InvokeRequest,
    decision: PolicyDecisionTraceV1,
    toolName: string,
    argsHash: string,
    startedAt: Date,
    outcome: ToolOutcome,
    extra: Partial<Pick<ToolInvocationV1, "errorCode" | "sandboxLaneId" | "invocationId">> & {
      readonly redactedPaths?: ReadonlyArray<string>
      readonly secretsRedacted?: number
      readonly outputTruncated?: boolean
    } = {}
  ): ToolInvocationV1 => ({
    version: 1,
    invocationId: extra.invocationId ?? newId(),
    runId: request.runId,
    customerInstanceId: request.customerInstanceId,
    environment: request.environment,
    toolName,
    argsHash,
    policyDecisionId: decision.decisionId,
    startedAt: isoOf(startedAt.getTime()),
    endedAt: isoOf(now().getTime()),
    outcome,
    redactionMeta: {
      redactedPaths: [...(extra.redactedPaths ?? [])],
      secretsRedacted: extra.secretsRedacted ?? 0,
      outputTruncated: extra.outputTruncated ?? false
    },
    ...(extra.errorCode === undefined ? {} : { errorCode: extra.errorCode.slice(0, 128) }),
    ...(extra.sandboxLaneId === undefined ? {} : { sandboxLaneId: extra.sandboxLaneId })
  })

  const safeHash = (args: unknown): string => {
    try {
      return hashOf(args ?? null)
    } catch {
      return hashOf(String(args))
    }
  }

  /** A denial decided before or by the policy: decision and invocation recorded together. */
  const deny = (
    request: InvokeRequest,
    decision: PolicyDecisionTraceV1,
    toolName: string,
    argsHash: string,
    startedAt: Date,
    message: string
  ): Effect.Effect<InvokeOutcome, ToolRuntimeError> => {
    const invocation = isToolName(toolName)
      ? invocationOf(request, decision, toolName, argsHash, startedAt, "denied", {
          errorCode: decision.decidingRule?.ruleId ?? "default-deny"
        })
      : undefined
    return Effect.as(
      append(request.customerInstanceId, [
        { kind: "policy_decision", payload: decision },
        ...(invocation ? [{ kind: "tool_invocation" as const, payload: invocation }] : [])
      ]),
      { _tag: "Denied", decision, invocation, message } satisfies InvokeOutcome as InvokeOutcome
    )
  }

  const sandboxFor = (lane: SandboxLane, driver: SandboxDriverShape): ToolSandbox => ({
    laneId: lane.laneId,
    exec: (exec) =>
      Effect.runPromise(
        driver.exec(lane, {
          command: exec.command,
          stdin: exec.stdin,
          timeoutMs: exec.timeoutMs,
          outputLimitBytes: exec.maxOutputBytes
        })
      )
  })

  /**
   * The secrets a tool declared, resolved for this customer instance in declaration order, or
   * the name of the first one that is not configured.
   */
  const resolveSecrets = (
    customerInstanceId: string,
    names: ReadonlyArray<string>
  ): Effect.Effect<Result.Result<Record<string, string>, string>> =>
    Effect.suspend(() => {
      const values: Record<string, string> = {}
      const from = (i: number): Effect.Effect<Result.Result<Record<string, string>, string>> => {
        if (i === names.length) return Effect.succeed(Result.succeed(values))
        const name = names[i] as string
        return Effect.flatMap(Effect.result(deps.secrets.get(customerInstanceId, name)), (value) => {
          if (Result.isFailure(value)) return Effect.succeed(Result.fail(name))
          values[name] = Redacted.value(value.success)
          return from(i + 1)
        })
      }
      return from(0)
    })

  /** Runs the handler: synchronously when it answers synchronously, else awaiting its promise. */
  const runHandler = (
    tool: ToolDefinition,
    args: unknown,
    context: Omit<ToolContext, "signal">,
    signal: AbortSignal | undefined,
    scrubber: SecretScrubber
  ): Effect.Effect<ExecutionResult> =>
    Effect.suspend(() => {
      const result = executeHandler(tool, args, context, signal, scrubber)
      return result instanceof Promise ? Effect.promise(() => result) : Effect.succeed(result)
    })

  const execute = (
    request: InvokeRequest,
    tool: ToolDefinition,
    args: unknown,
    argsHash: string,
    decision: PolicyDecisionTraceV1,
    routeToSandbox: boolean,
    startedAt: Date,
    redactedPaths: ReadonlyArray<string>
  ): Effect.Effect<InvokeOutcome, ToolRuntimeError> =>
    Effect.suspend(() => {
      // The id the handler sees is the id of the invocation record.
      const invocationId = newId()
      // A call that ends without output: its invocation record, then the outcome the model sees.
      const failed = (
        outcome: ToolOutcome,
        errorCode: string,
        message: string,
        extra: { readonly sandboxLaneId?: string; readonly secretsRedacted?: number } = {}
      ): Effect.Effect<InvokeOutcome, ToolRuntimeError> => {
        const invocation = invocationOf(request, decision, tool.name, argsHash, startedAt, outcome, {
          ...extra,
          errorCode,
          invocationId,
          redactedPaths
        })
        return Effect.as(
          append(request.customerInstanceId, [{ kind: "tool_invocation", payload: invocation }]),
          {
            _tag: "Failed",
            decision,
            invocation,
            errorCode,
            message
          } satisfies InvokeOutcome as InvokeOutcome
        )
      }

      const run = (
        secretValues: Record<string, string>,
        scrubber: SecretScrubber,
        lane: SandboxLane | undefined
      ): Effect.Effect<InvokeOutcome, ToolRuntimeError> => {
        const context: Omit<ToolContext, "signal"> = {
          customerInstanceId: request.customerInstanceId,
          runId: request.runId,
          invocationId,
          fetch: (egressRequest) =>
            deps.egress === undefined
              ? Promise.reject(new Error("egress is not configured for this runtime"))
              : Effect.runPromise(
                  deps.egress.fetch(egressRequest, {
                    customerInstanceId: request.customerInstanceId,
                    environment: request.environment,
                    actor: request.actor,
                    runId: request.runId,
                    ...(request.agentId === undefined ? {} : { agentId: request.agentId }),
                    ...(request.signal === undefined ? {} : { signal: request.signal })
                  })
                ),
          sandbox: lane === undefined ? undefined : sandboxFor(lane, deps.sandbox!),
          secrets: secretValues,
          log: (level, message, fields) => {
            const line = scrubber.scrubValue({
              level,
              message,
              ...fields,
              tool: tool.name,
              runId: request.runId
            })
            deps.log?.(line.value as Record<string, unknown>)
          }
        }
        const handled = runHandler(tool, args, context, request.signal, scrubber)
        const released =
          lane === undefined ? handled : Effect.ensuring(handled, Effect.ignore(deps.sandbox!.release(lane)))
        return Effect.flatMap(released, (result) => {
          const laneId = lane === undefined ? {} : { sandboxLaneId: lane.laneId }
          if (result._tag !== "Succeeded") {
            return failed(result.outcome, result.errorCode, result.message, {
              ...laneId,
              secretsRedacted: result.secretsRedacted
            })
          }
          const invocation = invocationOf(request, decision, tool.name, argsHash, startedAt, "succeeded", {
            ...laneId,
            invocationId,
            redactedPaths,
            secretsRedacted: result.secretsRedacted,
            outputTruncated: result.truncated
          })
          return Effect.as(
            append(request.customerInstanceId, [{ kind: "tool_invocation", payload: invocation }]),
            {
              _tag: "Succeeded",
              decision,
              invocation,
              output: result.output,
              truncated: result.truncated
            } satisfies InvokeOutcome as InvokeOutcome
          )
        })
      }

      // Secrets: only those the tool declared, resolved for this customer instance.
      return Effect.flatMap(resolveSecrets(request.customerInstanceId, tool.secrets), (resolved) => {
        if (Result.isFailure(resolved)) {
          return failed(
            "failed",
            "SecretUnavailable",
            `secret ${resolved.failure} is not configured for this customer instance`
          )
        }
        const values = resolved.success
        const scrubber = scrubberFor(request.customerInstanceId, tool.name, Object.values(values))
        if (!routeToSandbox) return run(values, scrubber, undefined)
        return Effect.flatMap(
          Effect.result(
            deps.sandbox!.acquire({ customerInstanceId: request.customerInstanceId, runId: request.runId })
          ),
          (acquired) =>
            Result.isFailure(acquired)
              ? failed(
                  "failed",
                  "SandboxUnavailable",
                  "no sandbox lane could be started for this call; it did not run"
                )
              : run(values, scrubber, acquired.success)
        )
      })
    })

  /** What follows the validation of the arguments: the decision, then the call or its refusal. */
  const decided = (
    request: InvokeRequest,
    tool: ToolDefinition,
    startedAt: Date,
    validated: Result.Result<unknown, ReadonlyArray<JsonProblem>>
  ): Effect.Effect<InvokeOutcome, ToolRuntimeError> => {
    const args = Result.isSuccess(validated) ? validated.success : request.args
    const argsHash = Result.isSuccess(validated) ? safeHash(args) : safeHash(request.args)
    // Only risky classes go to a lane; `read` and `none` run in process like any other tool.
    const routeToSandbox =
      isRiskyClass(tool.riskClass) &&
      deps.config.tools.riskyExecution === "sandbox_only" &&
      deps.sandbox !== undefined
    const decision = deps.policy.decide(
      toolPolicyRequest(request, tool, Result.isSuccess(validated) ? args : undefined, routeToSandbox)
    )

    if (decision.effect === "deny") {
      return deny(request, decision, tool.name, argsHash, startedAt, decision.rationale)
    }
    if (Result.isFailure(validated)) {
      const invocation = invocationOf(
        request,
        decision,
        tool.name,
        argsHash,
        startedAt,
        "invalid_arguments",
        {
          errorCode: "InvalidArguments"
        }
      )
      return Effect.as(
        append(request.customerInstanceId, [
          { kind: "policy_decision", payload: decision },
          { kind: "tool_invocation", payload: invocation }
        ]),
        {
          _tag: "InvalidArguments",
          decision,
          invocation,
          problems: validated.failure
        } satisfies InvokeOutcome as InvokeOutcome
      )
    }

    const preview = argsPreview(args, tool.redactArgs)
    // The decision is on record before the handler runs.
    const recordedThenRun = (recorded: PolicyDecisionTraceV1) =>
      Effect.flatMap(
        append(request.customerInstanceId, [{ kind: "policy_decision", payload: recorded }]),
        () =>
          execute(request, tool, args, argsHash, recorded, routeToSandbox, startedAt, preview.redactedPaths)
      )
    if (decision.effect !== "require_approval") return recordedThenRun(decision)
    return Effect.gen(function* () {
      const approved =
        request.approvalId === undefined
          ? undefined
          : yield* consumeApproval(deps, request, tool.name, argsHash)
      if (approved === undefined) {
        return yield* requestApproval(request, decision, tool.name, argsHash, startedAt, preview.value)
      }
      if (approved !== true) {
        const denial = {
          ...decision,
          effect: "deny" as const,
          requiresApproval: false,
          rationale: `${decision.rationale}; ${approved}`
        }
        return yield* deny(request, denial, tool.name, argsHash, startedAt, approved)
      }
      // The trace names the approval that let this call run, so the audit answers "who allowed it?".
      const satisfied = `${decision.rationale}; satisfied by approval ${request.approvalId}, consumed by this call`
      return yield* recordedThenRun({ ...decision, rationale: satisfied.slice(0, 4096) })
    })
  }

  return (request: InvokeRequest): Effect.Effect<InvokeOutcome, ToolRuntimeError> =>
    Effect.suspend(() => {
      const startedAt = now()
      const tool = deps.registry.get(request.toolName)
      if (tool === undefined) {
        const decision = runtimeDenial(
          request,
          String(request.toolName),
          "runtime.unknown-tool",
          `no tool named ${JSON.stringify(String(request.toolName).slice(0, 128))} is registered`,
          startedAt
        )
        return deny(
          request,
          decision,
          String(request.toolName),
          safeHash(request.args),
          startedAt,
          decision.rationale
        )
      }
      const calls = countCall(request)
      if (calls > maxCalls) {
        const decision = runtimeDenial(
          request,
          tool.name,
          "runtime.tool-call-budget",
          `the run has used its ${maxCalls} tool calls`,
          startedAt
        )
        return deny(request, decision, tool.name, safeHash(request.args), startedAt, decision.rationale)
      }
      if (!rateLimiter.tryTake(request.customerInstanceId)) {
        const decision = runtimeDenial(
          request,
          tool.name,
          "runtime.rate-limit",
          "the customer instance's tool-call rate limit is exhausted",
          startedAt
        )
        return deny(request, decision, tool.name, safeHash(request.args), startedAt, decision.rationale)
      }
      // Most validators answer synchronously: only an async one costs a suspension.
      const validation = tool.parameters.validate(request.args)
      return validation instanceof Promise
        ? Effect.flatMap(
            Effect.promise(() => validation),
            (validated) => decided(request, tool, startedAt, validated)
          )
        : decided(request, tool, startedAt, validation)
    })

  function requestApproval(
    request: InvokeRequest,
    decision: PolicyDecisionTraceV1,
    toolName: string,
    argsHash: string,
    startedAt: Date,
    preview: unknown
  ) {
    return Effect.gen(function* () {
      const ttlMinutes = instanceSettings(deps.config, request.customerInstanceId).approvalTtlMinutes
      const approval: ApprovalRequestV1 = {
        version: 1,
        approvalId: newId(),
        runId: request.runId,
        customerInstanceId: request.customerInstanceId,
        environment: request.environment,
        toolName,
        argsHash,
        argsPreview: preview as ApprovalRequestV1["argsPreview"],
        policyDecisionId: decision.decisionId,
        requestedBy: request.actor,
        requestedAt: startedAt.toISOString(),
        expiresAt: new Date(startedAt.getTime() + ttlMinutes * 60_000).toISOString()
      }
      yield* Effect.mapError(
        deps.approvals.create(request.customerInstanceId, approval),
        (error) => new ToolRuntimeError({ reason: "approval-store-unavailable", detail: error.message })
      )
      const invocation = invocationOf(request, decision, toolName, argsHash, startedAt, "approval_required")
      yield* append(request.customerInstanceId, [
        { kind: "policy_decision", payload: decision },
        { kind: "approval_request", payload: approval },
        { kind: "tool_invocation", payload: invocation }
      ])
      return {
        _tag: "ApprovalRequired",
        decision,
        invocation,
        approval
      } satisfies InvokeOutcome as InvokeOutcome
    })
  }
}

/**
 * Consumes an approval for exactly this call: same run, tool and argsHash, approved, and not
 * used before. Returns true when the call may run, or why it may not.
 */
const consumeApproval = (deps: ToolRuntimeDeps, request: InvokeRequest, toolName: string, argsHash: string) =>
  Effect.gen(function* () {
    const approvalId = request.approvalId!
    const consumed = yield* Effect.result(
      deps.approvals.consume(request.customerInstanceId, approvalId, {
        runId: request.runId,
        toolName,
        argsHash
      })
    )
    if (Result.isSuccess(consumed)) return true as const
    const error = consumed.failure
    if (error._tag === "@bga/core/StorageError") {
      return yield* Effect.fail(
        new ToolRuntimeError({ reason: "approval-store-unavailable", detail: error.message })
      )
    }
    return `approval ${approvalId} does not allow this call: ${error.message}`
  })
