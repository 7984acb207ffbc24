import { Effect, Option, Result } from "effect"
import type { Actor } from "../../contracts/Actor.js"
import type { RunEventV1 } from "../../contracts/RunEvent.js"
import type { RunRecord } from "../../storage/RunRecord.js"
import { decodeCheckpoint, type RunCheckpoint } from "../Checkpoint.js"
import type { RunEndReason, RunView } from "../Orchestrator.js"
import { isTerminal } from "../RunStateMachine.js"
import type { Env } from "./env.js"

const emptyUsage: RunView["usage"] = { steps: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0 }

const usageOfCheckpoint = (cp: RunCheckpoint): RunView["usage"] => ({
  steps: cp.usage.steps,
  inputTokens: cp.usage.inputTokens,
  outputTokens: cp.usage.outputTokens,
  toolCalls:
    cp.messages.filter((m) => m.role === "tool").length +
    cp.toolCalls.filter((p) => p.status === "finished").length
})

const num = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0)

const usageOfEvent = (event: RunEventV1): RunView["usage"] | undefined => {
  const usage = event.payload.usage
  if (typeof usage !== "object" || usage === null || Array.isArray(usage)) return undefined
  const u = usage as Record<string, unknown>
  return {
    steps: num(u.steps),
    inputTokens: num(u.inputTokens),
    outputTokens: num(u.outputTokens),
    toolCalls: num(event.payload.toolCalls)
  }
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined)

/** Why a run ended, from the state change that ended it. */
export const endReasonOf = (event: RunEventV1): RunEndReason | undefined => {
  const p = event.payload
  if (p.to === "CANCELLED") {
    const by = p.cancelledBy as { kind?: unknown; id?: unknown } | undefined
    const actor =
      by !== undefined && typeof by.kind === "string" && typeof by.id === "string"
        ? ({ kind: by.kind, id: by.id, roles: [] } as unknown as Actor)
        : undefined
    return {
      code: "cancelled",
      message:
        text(p.reason) ?? `cancelled by ${actor === undefined ? "someone" : `${actor.kind} ${actor.id}`}`,
      ...(actor === undefined ? {} : { actor })
    }
  }
  if (p.to === "FAILED") {
    const reason = text(p.reason) ?? "failed"
    return {
      code: reason === "budget_exceeded" && p.budgetResource === "steps" ? "max_steps" : reason,
      message: text(p.detail) ?? reason
    }
  }
  return undefined
}

const latestEvent = (env: Env, run: RunRecord, eventType: string) =>
  Effect.map(
    env.audit.list(run.customerInstanceId, {
      runId: run.runId,
      kinds: ["run_event"],
      eventType,
      order: "desc",
      limit: 1
    }),
    (page) => page.items[0]?.payload as RunEventV1 | undefined
  )

const latestCheckpoint = (env: Env, run: RunRecord) =>
  Effect.map(env.runs.latestCheckpoint(run.customerInstanceId, run.runId), (latest) => {
    if (Option.isNone(latest)) return undefined
    const decoded = decodeCheckpoint(latest.value.data, run)
    return Result.isSuccess(decoded) ? decoded.success : undefined
  })

/**
 * A run as callers see it. A live run is described by its latest checkpoint; an ended run by the
 * state change that ended it (which carries the final usage) and, when completed, its output
 * event: nothing is checkpointed after the end.
 */
export const viewOf = (env: Env, run: RunRecord) =>
  Effect.gen(function* () {
    if (run.version === 1 && run.state === "QUEUED") return { run, usage: emptyUsage } satisfies RunView
    if (!isTerminal(run.state)) {
      const cp = yield* latestCheckpoint(env, run)
      const waiting =
        run.state === "WAITING_APPROVAL"
          ? cp?.toolCalls.find((p) => p.status === "awaiting_approval")
          : undefined
      return {
        run,
        usage: cp === undefined ? emptyUsage : usageOfCheckpoint(cp),
        ...(waiting?.status === "awaiting_approval" ? { pendingApprovalId: waiting.approvalId } : {})
      } satisfies RunView
    }
    const ended = yield* latestEvent(env, run, "run.state_changed")
    const output = run.state === "COMPLETED" ? yield* latestEvent(env, run, "run.output") : undefined
    let usage = ended === undefined ? undefined : usageOfEvent(ended)
    if (usage === undefined) {
      const cp = yield* latestCheckpoint(env, run)
      usage = cp === undefined ? emptyUsage : usageOfCheckpoint(cp)
    }
    const endReason = ended === undefined ? undefined : endReasonOf(ended)
    const outputText = output === undefined ? undefined : text(output.payload.text)
    return {
      run,
      usage,
      ...(outputText === undefined ? {} : { output: outputText }),
      ...(endReason === undefined ? {} : { endReason })
    } satisfies RunView
  })
