import { Schema } from "effect"
import { BoundedString, RoleName } from "./primitives.js"

/** Who an actor is: a person, a calling service, an agent, or BGA itself. */
export const ActorKind = Schema.Literals(["user", "service", "agent", "system"])
export type ActorKind = typeof ActorKind.Type

/** How an actor is known on a channel (Slack user, Teams AAD object, email address, ...). */
export const ChannelIdentity = Schema.Struct({
  channel: BoundedString(64, 1),
  id: BoundedString(256, 1),
  tenantId: Schema.optionalKey(BoundedString(256, 1)),
  displayName: Schema.optionalKey(BoundedString(256))
}).annotate({ identifier: "ChannelIdentity" })
export type ChannelIdentity = typeof ChannelIdentity.Type

/**
 * The party on whose behalf something happens. Roles are scoped to the customer instance of
 * the request they appear in; they never grant anything in another instance.
 */
export const Actor = Schema.Struct({
  kind: ActorKind,
  id: BoundedString(256, 1),
  roles: Schema.Array(RoleName).check(Schema.isMaxLength(64)),
  displayName: Schema.optionalKey(BoundedString(256)),
  channelIdentity: Schema.optionalKey(ChannelIdentity)
}).annotate({ identifier: "Actor" })
export type Actor = typeof Actor.Type
