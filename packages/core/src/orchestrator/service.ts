import { Effect, Layer, Result, Schema, type Scope } from "effect"
import { AuditLog } from "../audit/AuditLog.js"
import { ConfigService } from "../config/load.js"
import { Actor } from "../contracts/Actor.js"
import { decodeUnknown } from "../contracts/decode.js"
import type { RunEventV1 } from "../contracts/RunEvent.js"
import type { RunRequestV2 as Request } from "../contracts/RunRequest.js"
import { RunRequestV2 } from "../contracts/RunRequest.js"
import { RunState } from "../contracts/RunState.js"
import type { InvalidInputError } from "../json/JsonError.js"
import { ModelPort } from "../model/ModelPort.js"
import { ApprovalStore } from "../storage/ApprovalStore.js"
import { RunStore } from "../storage/RunStore.js"
import { ToolRuntime } from "../tools/ToolRuntime.js"
import {
  checkBeforeStep,
  emptyUsage,
  type InstanceBudgetLimits,
  type ModelPricing,
  type RunBudgetLimits
} from "./Budget.js"
import { cancelRun } from "./internal/cancel.js"
import type { Env } from "./internal/env.js"
import { toOrchestratorError } from "./internal/errors.js"
import { appendEvents, createdEvent, ensureCreated } from "./internal/journal.js"
import { resolveOptions } from "./internal/options.js"
import { makeRunner } from "./internal/runner.js"
import { type RecoveryReport, recoverInstance, sweepInstance } from "./internal/sweep.js"
import { makeUsageMeter } from "./internal/usage.js"
import { viewOf } from "./internal/view.js"
import type { LaneLimits } from "./LaneLimits.js"
import * as Lanes from "./Lanes.js"
import { Orchestrator, OrchestratorError, type OrchestratorShape, type RunView } from "./Orchestrator.js"
import type { NonIdempotentRecovery } from "./Recovery.js"

export type { RecoveryReport } from "./internal/sweep.js"

/**
 * How an orchestrator runs. Every field is optional; the defaults suit one process on a small
 * machine. Numbers are checked when the orchestrator is made (an `InvalidInputError` names the
 * option).
 */
export interface OrchestratorOptions {
  /** This worker's name on leases; unique per process (default: `worker:<pid>:<uuid>`). */
  readonly workerId?: string
  /** Concurrency and queue limits of the lanes (default `defaultLaneLimits`). */
  readonly lanes?: LaneLimits
  readonly budgets?: {
    /** Limits on each run (steps, tokens, cost). */
    readonly run?: RunBudgetLimits
    /** Limits on all runs of each customer instance per day or month... */
    readonly instance?: InstanceBudgetLimits
    /** ...or per instance, overriding `instance`. */
    readonly instances?: Readonly<Record<string, InstanceBudgetLimits>>
  }
  /** Model steps a run may take unless `budgets.run.maxSteps` says otherwise (default 20). */
  readonly maxSteps?: number
  /** Prices for cost budgets and usage; without them cost is 0. */
  readonly pricing?: ModelPricing
  /** The agent's instructions, fixed or per run. */
  readonly system?: string | ((request: Request) => string | undefined)
  /** Worker lease: how long it lasts unless renewed (default 30 s) and how often it is renewed (ttl/3). */
  readonly lease?: { readonly ttlMs?: number; readonly heartbeatMs?: number }
  /** How often approvals are expired and abandoned runs taken over (default 5 s). */
  readonly sweepIntervalMs?: number
  /** How often every live run is looked at again, e.g. for approvals decided elsewhere (default 60 s). */
  readonly rescanIntervalMs?: number
  /** How often instance usage is re-read from the audit log (default 60 s). */
  readonly instanceUsageRefreshMs?: number
  /**
   * A call to a non-idempotent tool interrupted by a crash: fail the run with reason
   * `outcome_unknown` (default) or ask a human whether to run it again.
   */
  readonly nonIdempotentRecovery?: NonIdempotentRecovery
  /**
   * A denied or expired approval: tell the model (default; the call's result is an error it
   * can react to) or end the run FAILED with reason `approval_denied`.
   */
  readonly approvalDenied?: "tell_model" | "fail"
  /** Retries of a model step that failed with a retryable error (default 2). */
  readonly modelRetries?: number
  readonly modelRetryDelayMs?: number
  /** How long a stopping worker may take to put its runs back in the queue (default 5 s). */
  readonly shutdownTimeoutMs?: number
  /**
   * The tool registry the tool runtime was built from: tells which tools are idempotent (may
   * run again after a crash) and which arguments to hide from re-approvals. Without it every
   * tool counts as not idempotent, the safe default.
   */
  readonly tools?: {
    readonly get: (
      name: string
    ) => { readonly idempotent: boolean; readonly redactArgs: ReadonlyArray<string> } | undefined
  }
  /**
   * Customer instances whose runs this process recovers and sweeps, besides those named in the
   * configuration and those it sees requests for. (Storage cannot list across instances.)
   */
  readonly customerInstances?: ReadonlyArray<string>
  /** Receives every run event once it is recorded (at least once; dedupe by `eventId`). */
  readonly onEvent?: (event: RunEventV1) => void
  /** Structured log lines (infrastructure faults, refused work). */
  readonly log?: (line: Readonly<Record<string, unknown>>) => void
  /** Recover this worker's instances when it starts (default true). */
  readonly recoverOnStart?: boolean
}

/** The orchestrator service: the port, plus what the host that runs it needs. */
export interface OrchestratorService extends OrchestratorShape {
  /** This worker's name on leases. */
  readonly workerId: string
  /**
   * Looks at every live run of the known customer instances now: takes over runs of dead
   * workers, resumes runs whose approval was decided or expired, starts queued runs. Runs at
   * start (unless `recoverOnStart: false`) and every `rescanIntervalMs`.
   */
  readonly recover: Effect.Effect<RecoveryReport>
  /** Runs with a session here, and the lanes' counts. */
  readonly stats: () => { readonly sessions: number; readonly running: number; readonly queued: number }
}

/** What the orchestrator needs: storage ports, the tool runtime and a model. */
export type OrchestratorRequirements = RunStore | ApprovalStore | AuditLog | ToolRuntime | ModelPort

const ListQuery = Schema.Struct({
  state: Schema.optionalKey(RunState),
  actorId: Schema.optionalKey(Schema.String.check(Schema.isBetweenLength(1, 256))),
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))),
  cursor: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(1024)))
})
const decodeListQuery = decodeUnknown(ListQuery, "RunListQuery")
const CancelBy = Schema.Struct({
  actor: Actor,
  reason: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(4096)))
})
const decodeCancelBy = decodeUnknown(CancelBy, "runs.cancel")

/**
 * Makes the orchestrator over the services in context. Background work (sessions, sweeps) lives
 * in the scope: closing it stops the workers, which put their runs back in the queue for the
 * next process.
 *
 * @example
 * ```ts
 * const orchestrator = yield* Orchestrator.make({ tools: registry, customerInstances: ["acme"] })
 * const { run } = yield* orchestrator.create(request)
 * ```
 */
export const make = (
  options: OrchestratorOptions = {}
): Effect.Effect<OrchestratorService, InvalidInputError, OrchestratorRequirements | Scope.Scope> =>
  Effect.gen(function* () {
    const resolved = yield* Effect.fromResult(resolveOptions(options))
    const scope = yield* Effect.scope
    const config = yield* Effect.serviceOption(ConfigService)
    const runs = yield* RunStore
    const audit = yield* AuditLog
    const instances = new Set<string>(resolved.customerInstances)
    if (config._tag === "Some") {
      for (const ci of Object.keys(config.value.customerInstances)) instances.add(ci)
      if (config.value.deployment.id !== undefined) instances.add(config.value.deployment.id)
    }
    const runner = makeRunner(scope)
    const env: Env = {
      runs,
      approvals: yield* ApprovalStore,
      audit,
      tools: yield* ToolRuntime,
      model: yield* ModelPort,
      config: config._tag === "Some" ? config.value : undefined,
      options: resolved,
      lanes: Lanes.make(resolved.lanes),
      usage: makeUsageMeter(audit, resolved.instanceBudget, resolved.instanceUsageRefreshMs),
      instances,
      schedule: (request) => runner.schedule(env, request)
    }

    const logFailure = (what: string) => (error: { readonly message: string }) =>
      Effect.sync(() => resolved.log({ level: "warn", message: `${what} failed`, detail: error.message }))

    const recover = Effect.gen(function* () {
      let scheduled = 0
      let deferred = 0
      for (const ci of [...instances]) {
        const report = yield* recoverInstance(env, runner, scope, ci).pipe(
          Effect.catch((error) =>
            Effect.as(logFailure(`recovering ${ci}`)(error), { scheduled: 0, deferred: 0 })
          )
        )
        scheduled += report.scheduled
        deferred += report.deferred
      }
      return { scheduled, deferred } satisfies RecoveryReport
    })

    // The periodic sweep: expiries and abandoned leases often, a full rescan now and then.
    yield* Effect.forkIn(
      Effect.gen(function* () {
        let lastRescan = Date.now()
        for (;;) {
          yield* Effect.sleep(resolved.sweepIntervalMs)
          for (const ci of [...instances]) {
            yield* sweepInstance(env, ci).pipe(Effect.catch(logFailure(`sweeping ${ci}`)))
          }
          if (Date.now() - lastRescan >= resolved.rescanIntervalMs) {
            lastRescan = Date.now()
            yield* recover
          }
        }
      }),
      scope
    )
    if (options.recoverOnStart !== false) yield* recover

    const view = (run: Parameters<typeof viewOf>[1]) =>
      Effect.mapError(viewOf(env, run), toOrchestratorError(run.runId))

    const create: OrchestratorShape["create"] = (input) =>
      Effect.gen(function* () {
        const request = yield* Effect.fromResult(decodeUnknown(RunRequestV2, "RunRequestV2")(input))
        const ci = request.customerInstanceId
        instances.add(ci)
        const instanceLimits = resolved.instanceBudget(ci)
        if (instanceLimits !== undefined) {
          const used = yield* Effect.mapError(env.usage.current(ci), toOrchestratorError())
          const verdict = checkBeforeStep({ run: emptyUsage, instance: used, instanceLimits })
          if (verdict._tag === "Exceeded") {
            return yield* new OrchestratorError({
              reason: "budget-exhausted",
              detail: `customer instance ${ci} has used its ${instanceLimits.period}ly budget (${verdict.exceeded.resource}: ${verdict.exceeded.used} of ${verdict.exceeded.limit})`
            })
          }
        }
        // The lane place is taken before anything is written: a full queue refuses cleanly.
        const ticket = env.lanes.enqueue(ci)
        if (Result.isFailure(ticket)) {
          return yield* new OrchestratorError({ reason: "queue-full", detail: ticket.failure.message })
        }
        const stored = yield* Effect.result(runs.create(ci, request))
        if (Result.isFailure(stored)) {
          ticket.success.cancel()
          return yield* Effect.fail(toOrchestratorError(request.runId)(stored.failure))
        }
        const { created, run } = stored.success
        if (!created) {
          ticket.success.cancel()
          // A retry of a create a crash may have cut short: its event and its work may be missing.
          yield* Effect.mapError(ensureCreated(env, run), toOrchestratorError(run.runId))
          if (!runner.has(ci, run.runId))
            yield* env.schedule({ customerInstanceId: ci, runId: run.runId, reason: "scan" })
          return { run: yield* view(run), created: false }
        }
        // A run that starts at once records its creation together with its start (one append);
        // one that must wait in its lane records it now, so its timeline shows it queued.
        const startsNow = ticket.success.granted()
        if (!startsNow) {
          const recorded = yield* Effect.result(appendEvents(env, ci, [createdEvent(run)]))
          if (Result.isFailure(recorded)) {
            ticket.success.cancel()
            return yield* Effect.fail(toOrchestratorError(run.runId)(recorded.failure))
          }
        }
        yield* runner.schedule(env, {
          customerInstanceId: ci,
          runId: run.runId,
          reason: "created",
          record: run,
          ticket: ticket.success,
          createdRecorded: !startsNow
        })
        return {
          run: { run, usage: { steps: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0 } } satisfies RunView,
          created: true
        }
      })

    const get: OrchestratorShape["get"] = (ci, runId) =>
      Effect.gen(function* () {
        const run = yield* Effect.mapError(runs.get(ci, runId), toOrchestratorError(runId))
        return yield* view(run)
      })

    const list: OrchestratorShape["list"] = (ci, query) =>
      Effect.gen(function* () {
        const q = yield* Effect.fromResult(decodeListQuery(query ?? {}))
        const page = yield* Effect.mapError(
          runs.list(ci, {
            ...(q.state === undefined ? {} : { states: [q.state] }),
            ...(q.limit === undefined ? {} : { limit: q.limit }),
            ...(q.cursor === undefined ? {} : { cursor: q.cursor })
          }),
          toOrchestratorError()
        )
        // The actor filter thins a page; the cursor still continues after its last run.
        const matching =
          q.actorId === undefined ? page.items : page.items.filter((r) => r.request.actor.id === q.actorId)
        const items = yield* Effect.forEach(matching, view)
        return page.nextCursor === undefined ? { items } : { items, nextCursor: page.nextCursor }
      })

    const cancel: OrchestratorShape["cancel"] = (ci, runId, by) =>
      Effect.gen(function* () {
        const who = yield* Effect.fromResult(decodeCancelBy(by))
        const run = yield* cancelRun(env, ci, runId, who.actor, who.reason)
        const local = runner.local(ci, runId)
        local?.controller?.abort(
          new Error(
            `the run was cancelled by ${who.actor.kind} ${who.actor.id}${who.reason ? `: ${who.reason}` : ""}`
          )
        )
        return yield* view(run)
      })

    const events: OrchestratorShape["events"] = (ci, runId, opts) =>
      Effect.gen(function* () {
        yield* Effect.mapError(runs.get(ci, runId), toOrchestratorError(runId))
        const page = yield* Effect.mapError(
          audit.list(ci, {
            runId,
            kinds: ["run_event"],
            order: "asc",
            ...(opts?.limit === undefined ? {} : { limit: opts.limit }),
            ...(opts?.cursor === undefined ? {} : { cursor: opts.cursor })
          }),
          toOrchestratorError(runId)
        )
        const items = page.items.map((r) => r.payload as RunEventV1)
        return page.nextCursor === undefined ? { items } : { items, nextCursor: page.nextCursor }
      })

    const resolveApproval: OrchestratorShape["resolveApproval"] = (ci, input) =>
      Effect.gen(function* () {
        const record = yield* env.tools.resolveApproval(ci, input)
        instances.add(ci)
        yield* env.schedule({ customerInstanceId: ci, runId: record.runId, reason: "trigger" })
        return record
      })

    return {
      create,
      get,
      list,
      cancel,
      events,
      resolveApproval,
      awaitIdle: runner.awaitIdle,
      workerId: resolved.workerId,
      recover,
      stats: () => {
        const lanes = env.lanes.stats()
        return { sessions: runner.size(), running: lanes.running, queued: lanes.queued }
      }
    } satisfies OrchestratorService
  })

/**
 * Provides the `Orchestrator` port. Requires the storage ports (any storage adapter's layer),
 * the `ToolRuntime` and a `ModelPort`; uses the `ConfigService` when present (instances to
 * recover, approval lifetimes).
 *
 * @example
 * ```ts
 * const program = Effect.gen(function* () {
 *   const runs = yield* Orchestrator.Orchestrator
 *   yield* runs.create(request)
 * }).pipe(Effect.provide(Orchestrator.layer({ tools: registry }).pipe(Layer.provide(deps))))
 * ```
 */
export const layer = (
  options: OrchestratorOptions = {}
): Layer.Layer<Orchestrator, InvalidInputError, OrchestratorRequirements> =>
  Layer.effect(Orchestrator, make(options))
