import { Schema } from "effect"
import { Actor } from "./Actor.js"
import {
  BoundedString,
  CustomerInstanceId,
  Environment,
  Fact,
  Id,
  JsonValue,
  ToolName
} from "./primitives.js"

/** Named tool profiles; each maps to a set of tool groups (see the policy module). */
export const ToolProfileName = Schema.Literals(["minimal", "messaging", "standard", "full"])
export type ToolProfileName = typeof ToolProfileName.Type

/** A tool name or group (`group:web`) or a glob over tool names (`crm.*`). */
export const ToolPattern = Schema.String.check(
  Schema.isPattern(/^(?:group:[a-z][a-z0-9_-]{0,63}|[a-z*][a-z0-9_*.-]{0,127})$/u, {
    expected: "a tool name, a glob such as crm.* or a group such as group:web"
  })
)

/** The narrowest policy layer: what this one run may use, within what every other layer allows. */
export const ToolProfile = Schema.Struct({
  profile: ToolProfileName,
  allow: Schema.optionalKey(Schema.Array(ToolPattern).check(Schema.isMaxLength(256))),
  deny: Schema.optionalKey(Schema.Array(ToolPattern).check(Schema.isMaxLength(256)))
}).annotate({ identifier: "ToolProfile" })
export type ToolProfile = typeof ToolProfile.Type

/** Where a run came from and where its reply goes; opaque to the orchestrator. */
export const ChannelContext = Schema.Struct({
  channel: BoundedString(64, 1),
  conversationId: Schema.optionalKey(BoundedString(512, 1)),
  threadId: Schema.optionalKey(BoundedString(512, 1)),
  messageId: Schema.optionalKey(BoundedString(512, 1)),
  replyTo: Schema.optionalKey(BoundedString(2048, 1))
}).annotate({ identifier: "ChannelContext" })
export type ChannelContext = typeof ChannelContext.Type

/** Facts the policy evaluator may match on, and the agent profile the run uses. */
export const PolicyContext = Schema.Struct({
  agentId: Schema.optionalKey(BoundedString(128, 1)),
  facts: Schema.optionalKey(
    Schema.Record(Schema.String.check(Schema.isPattern(/^[a-zA-Z][a-zA-Z0-9_.]{0,63}$/u)), Fact).check(
      Schema.isMaxProperties(64)
    )
  )
}).annotate({ identifier: "PolicyContext" })
export type PolicyContext = typeof PolicyContext.Type

/** What the run is asked to do. */
export const RunInput = Schema.Struct({
  text: BoundedString(100_000),
  data: Schema.optionalKey(JsonValue)
}).annotate({ identifier: "RunInput" })
export type RunInput = typeof RunInput.Type

/**
 * A request to start a run. `runId` may be chosen by the caller (a UUIDv7) or left out to be
 * minted; `idempotencyKey` makes a retried create return the first run instead of a second.
 */
export const RunRequestV2 = Schema.Struct({
  version: Schema.Literal(2),
  runId: Schema.optionalKey(Id),
  customerInstanceId: CustomerInstanceId,
  environment: Environment,
  actor: Actor,
  input: RunInput,
  channelContext: Schema.optionalKey(ChannelContext),
  toolProfile: Schema.optionalKey(ToolProfile),
  policyContext: Schema.optionalKey(PolicyContext),
  idempotencyKey: Schema.optionalKey(BoundedString(200, 1))
}).annotate({ identifier: "RunRequestV2", title: "RunRequestV2" })
export type RunRequestV2 = typeof RunRequestV2.Type

export { ToolName }
