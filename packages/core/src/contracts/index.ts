/**
 * Versioned wire contracts shared by hosts, adapters, plugins and other languages. Each is an
 * Effect Schema with a version literal; JSON Schema copies live in `@bga/core/schemas/*.json`.
 *
 * @example
 * ```ts
 * import { Contracts } from "@bga/core"
 * const result = Contracts.decodeJson(Contracts.RunRequestV2, "RunRequestV2")(body)
 * ```
 *
 * @module
 */

import { Actor } from "./Actor.js"
import { ApprovalDecisionV1, ApprovalRequestV1 } from "./Approval.js"
import { CustomerInstance } from "./CustomerInstance.js"
import { PluginCatalogV1 } from "./PluginCatalog.js"
import { PluginManifestV2 } from "./PluginManifest.js"
import { PolicyDecisionTraceV1 } from "./PolicyDecisionTrace.js"
import { RunEventV1 } from "./RunEvent.js"
import { RunRequestV2 } from "./RunRequest.js"
import { ToolInvocationV1 } from "./ToolInvocation.js"

export * from "./Actor.js"
export * from "./Approval.js"
export * from "./CustomerInstance.js"
export * from "./decode.js"
export * from "./PluginCatalog.js"
export * from "./PluginManifest.js"
export * from "./PolicyDecisionTrace.js"
export * from "./primitives.js"
export * from "./RunEvent.js"
export * from "./RunRequest.js"
export * from "./RunState.js"
export * from "./ToolInvocation.js"

/** Every published contract by name; JSON Schema files are generated from this table. */
export const publishedContracts = {
  RunRequestV2,
  RunEventV1,
  ToolInvocationV1,
  PolicyDecisionTraceV1,
  PluginManifestV2,
  PluginCatalogV1,
  ApprovalRequestV1,
  ApprovalDecisionV1,
  Actor,
  CustomerInstance
} as const
