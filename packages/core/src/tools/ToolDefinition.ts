import { Schema } from "effect"
import { ToolName } from "../contracts/primitives.js"
import type { EgressRequest, EgressResponse } from "../egress/index.js"
import type { RiskClassName } from "../policy/taxonomy.js"
import type { ExecResult } from "../sandbox/types.js"
import { type ParametersInput, type ToolParameters, toolParameters } from "./parameters.js"

/**
 * A tool's risk class: `exec`, `browser`, `filesystem_write` and `external_send` are risky and
 * run only in sandbox lanes; `read` and `none` are not.
 */
export type RiskClass = RiskClassName

/** Structured log line from a tool handler; secrets are redacted before it is written. */
export type ToolLogger = (
  level: "debug" | "info" | "warn" | "error",
  message: string,
  fields?: object
) => void

/** A sandbox lane as a tool handler sees it: run commands in it, nothing else. */
export interface ToolSandbox {
  readonly laneId: string
  readonly exec: (request: {
    readonly command: ReadonlyArray<string>
    readonly stdin?: string
    readonly timeoutMs?: number
    readonly maxOutputBytes?: number
  }) => Promise<ExecResult>
}

/**
 * What a handler receives: nothing more than it needs. It cannot reach the policy engine, the
 * audit log, other tools, or secrets it did not declare.
 */
export interface ToolContext {
  readonly customerInstanceId: string
  readonly runId: string
  readonly invocationId: string
  /** Aborted on timeout and on run cancellation. */
  readonly signal: AbortSignal
  /** HTTP through the egress guard of this customer instance. */
  readonly fetch: (request: EgressRequest) => Promise<EgressResponse>
  /** The sandbox lane, when the call was routed to one. */
  readonly sandbox: ToolSandbox | undefined
  /** Values of the secrets the tool declared, and only those. */
  readonly secrets: Readonly<Record<string, string>>
  readonly log: ToolLogger
}

/** What a tool author writes. */
export interface ToolSpec<A> {
  readonly name: string
  readonly description: string
  readonly parameters: ParametersInput<A>
  /** Tool groups such as `group:web`; policy rules match on them. */
  readonly groups?: ReadonlyArray<string>
  readonly riskClass?: RiskClass
  /** True when running the call twice has the same effect as once (safe to retry after a crash). */
  readonly idempotent?: boolean
  readonly timeoutMs?: number
  readonly maxOutputBytes?: number
  /** Names of the secrets the handler needs; only these reach it. */
  readonly secrets?: ReadonlyArray<string>
  /** Argument paths (top-level keys) to hide from audit previews and approvers. */
  readonly redactArgs?: ReadonlyArray<string>
  readonly handler: (args: A, context: ToolContext) => Promise<unknown> | unknown
}

/** A validated tool, ready for a registry. */
export interface ToolDefinition<A = unknown> {
  readonly name: string
  readonly description: string
  readonly parameters: ToolParameters<A>
  readonly groups: ReadonlyArray<string>
  readonly riskClass: RiskClass | undefined
  readonly idempotent: boolean
  readonly timeoutMs: number
  readonly maxOutputBytes: number
  readonly secrets: ReadonlyArray<string>
  readonly redactArgs: ReadonlyArray<string>
  /** Plugin that contributed the tool, if any. */
  readonly plugin: string | undefined
  /** Phantom: the arguments type. The handler itself is not reachable from a definition. */
  "~args"?(args: A): void
}

type Handler = (args: unknown, context: ToolContext) => Promise<unknown> | unknown

// Handlers live here, keyed by their definition, and nowhere else: a definition carries no
// reference to its handler, so holding a tool (or the whole registry) gives no way to run it
// other than `ToolRuntime.invoke`. `handlerOf` is internal (not exported from the package).
const handlers = new WeakMap<object, Handler>()

/** @internal The handler of a definition; only the runtime's execute step calls this. */
export const handlerOf = (tool: { readonly name: string }): Handler => {
  const handler = handlers.get(tool)
  if (handler === undefined) throw new TypeError(`tool ${tool.name} was not created by defineTool`)
  return handler
}

/** @internal A copy of a definition under another name (plugin namespacing), same handler. */
export const renamed = <A>(tool: ToolDefinition<A>, name: string, plugin: string): ToolDefinition<A> => {
  const copy = Object.freeze({ ...tool, name, plugin })
  handlers.set(copy, handlerOf(tool))
  return copy
}

/** Defaults applied when a tool does not say. */
export const toolDefaults = { timeoutMs: 30_000, maxOutputBytes: 64 * 1024 } as const

/** Raised at definition time for a tool that cannot be registered as written. */
export class ToolDefinitionError extends Schema.TaggedError<ToolDefinitionError>()(
  "@bga/core/ToolDefinitionError",
  {
    tool: Schema.String,
    reason: Schema.Literals([
      "invalid-name",
      "invalid-limit",
      "invalid-parameters",
      "invalid-group",
      "invalid-secret",
      "duplicate"
    ]),
    detail: Schema.String
  }
) {
  override get message(): string {
    return `tool ${this.tool}: ${this.reason}: ${this.detail}`
  }
}

const isToolName = Schema.is(ToolName)
const groupPattern = /^group:[a-z][a-z0-9_-]{0,63}$/u
const secretPattern = /^[A-Z][A-Z0-9_]{0,127}$/u

/**
 * Validates a tool spec and normalizes its parameters.
 *
 * @example
 * ```ts
 * const lookup = defineTool({
 *   name: "crm_lookup",
 *   description: "Find a customer by email",
 *   parameters: z.object({ email: z.string().email() }),
 *   groups: ["group:crm"],
 *   idempotent: true,
 *   handler: async ({ email }, { fetch }) => JSON.parse(Buffer.from((await fetch({ url: `https://crm.example.com/c?e=${email}` })).body).toString())
 * })
 * ```
 */
export const defineTool = <A>(spec: ToolSpec<A>): ToolDefinition<A> => {
  const fail = (reason: ToolDefinitionError["reason"], detail: string) =>
    new ToolDefinitionError({ tool: String(spec.name), reason, detail })
  if (!isToolName(spec.name)) throw fail("invalid-name", "expected a lowercase name such as web_fetch")
  const timeoutMs = spec.timeoutMs ?? toolDefaults.timeoutMs
  const maxOutputBytes = spec.maxOutputBytes ?? toolDefaults.maxOutputBytes
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 3_600_000) {
    throw fail("invalid-limit", "timeoutMs must be an integer from 1 to 3600000")
  }
  if (!Number.isInteger(maxOutputBytes) || maxOutputBytes < 1 || maxOutputBytes > 16 * 1024 * 1024) {
    throw fail("invalid-limit", "maxOutputBytes must be an integer from 1 to 16 MiB")
  }
  for (const group of spec.groups ?? []) {
    if (!groupPattern.test(group))
      throw fail("invalid-group", `${group} is not a group name such as group:web`)
  }
  for (const secret of spec.secrets ?? []) {
    if (!secretPattern.test(secret))
      throw fail("invalid-secret", `${secret} is not a secret name such as CRM_TOKEN`)
  }
  let parameters: ToolParameters<A>
  try {
    parameters = toolParameters(spec.parameters)
  } catch (error) {
    throw fail("invalid-parameters", error instanceof Error ? error.message : String(error))
  }
  const definition: ToolDefinition<A> = Object.freeze({
    name: spec.name,
    description: spec.description,
    parameters,
    groups: [...(spec.groups ?? [])],
    riskClass: spec.riskClass,
    idempotent: spec.idempotent ?? false,
    timeoutMs,
    maxOutputBytes,
    secrets: [...(spec.secrets ?? [])],
    redactArgs: [...(spec.redactArgs ?? [])],
    plugin: undefined
  })
  handlers.set(definition, spec.handler as Handler)
  return definition
}
