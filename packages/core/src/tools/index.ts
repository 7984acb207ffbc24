/**
 * The tool runtime: tool definitions (parameters as Effect Schema, zod 4 or JSON Schema), the
 * registry, and the one invoke path every tool call takes: decode, decide, record, contain,
 * scrub, record again. Built-in tools: `web_fetch` and `exec`.
 *
 * @module
 */
export * as Builtins from "./builtins.js"
export type { ResolveApprovalInput } from "./internal/approvals.js"
export { systemActor } from "./internal/approvals.js"
export type { InvokeOutcome, InvokeRequest, RuntimeLimits, ToolRuntimeDeps } from "./internal/invoke.js"
export {
  type JsonSchemaObject,
  type ParametersInput,
  type ToolParameters,
  toolParameters
} from "./parameters.js"
export { type PromiseToolRuntime, toPromise } from "./promise.js"
export { makeRateLimiter, type RateLimit, type RateLimiter } from "./RateLimiter.js"
export {
  defineTool,
  type RiskClass,
  type ToolContext,
  type ToolDefinition,
  ToolDefinitionError,
  type ToolLogger,
  type ToolSandbox,
  type ToolSpec,
  toolDefaults
} from "./ToolDefinition.js"
export { makeToolRegistry, pluginNamespace, type ToolDescriptor, type ToolRegistry } from "./ToolRegistry.js"
export { layer, make, ToolRuntime, type ToolRuntimeOptions, type ToolRuntimeShape } from "./ToolRuntime.js"
export { ApprovalResolveError, ToolRuntimeError } from "./ToolRuntimeError.js"
