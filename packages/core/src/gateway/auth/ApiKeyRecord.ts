import { Schema } from "effect"
import { Actor } from "../../contracts/Actor.js"
import {
  BoundedString,
  CustomerInstanceId,
  Environment,
  Id,
  Sha256Hex,
  Timestamp
} from "../../contracts/primitives.js"
import { Scope } from "../scopes.js"

/** A key's display name: what an operator calls it in `bga keys list`. */
export const KeyName = BoundedString(128, 1).check(
  Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9 ._:@+-]*$/u, {
    expected: "a key name of letters, digits, spaces and . _ : @ + - (1 to 128 characters)"
  })
)

/** The scopes of a key: at least one, each once. */
export const KeyScopes = Schema.Array(Scope).check(
  Schema.isMinLength(1),
  Schema.isMaxLength(16),
  Schema.makeFilter((s: ReadonlyArray<string>) => new Set(s).size === s.length || "each scope at most once")
)

/**
 * An API key as stored (`KeyValue`, namespace `@bga/gateway`, key `apikey/<keyId>`). Never the
 * secret: `mac` is the keyed hash that proves a presented secret (see `keyMac`). A revoked key
 * keeps its record for `bga keys list` and loses its `mac`, so no secret matches it again.
 */
export const ApiKeyRecord = Schema.Struct({
  version: Schema.Literal(1),
  keyId: Id,
  name: KeyName,
  customerInstanceId: CustomerInstanceId,
  environment: Environment,
  actor: Actor,
  scopes: KeyScopes,
  createdAt: Timestamp,
  createdBy: BoundedString(256, 1),
  expiresAt: Schema.optionalKey(Timestamp),
  revokedAt: Schema.optionalKey(Timestamp),
  revokedBy: Schema.optionalKey(BoundedString(256, 1)),
  mac: Schema.optionalKey(Sha256Hex)
}).annotate({ identifier: "ApiKeyRecord" })
export type ApiKeyRecord = typeof ApiKeyRecord.Type

/** What `keys create` takes. */
export const CreateKeyInput = Schema.Struct({
  customerInstanceId: CustomerInstanceId,
  name: KeyName,
  scopes: KeyScopes,
  /** The environment runs started with this key belong to; `production` unless set. */
  environment: Schema.optionalKey(Environment),
  /** Who acts when this key is used (runs it starts, approvals it resolves); a service named after the key unless set. */
  actor: Schema.optionalKey(Actor),
  expiresAt: Schema.optionalKey(Timestamp),
  /** Who created the key (an operator, `cli`); recorded in the audit log. */
  createdBy: Schema.optionalKey(BoundedString(256, 1))
}).annotate({ identifier: "CreateKeyInput" })
export type CreateKeyInput = typeof CreateKeyInput.Type

/** A key as listed: the record without its proof, and whether it can be used now. */
export interface ApiKeyInfo {
  readonly keyId: string
  readonly name: string
  readonly customerInstanceId: string
  readonly environment: string
  readonly actor: Actor
  readonly scopes: ReadonlyArray<Scope>
  readonly createdAt: string
  readonly createdBy: string
  readonly expiresAt?: string
  readonly revokedAt?: string
  readonly revokedBy?: string
  readonly status: "active" | "expired" | "revoked"
}

/** The fields a key's MAC covers: everything that decides what the key may do. */
export const boundFields = (record: ApiKeyRecord) => ({
  v: 1,
  keyId: record.keyId,
  name: record.name,
  customerInstanceId: record.customerInstanceId,
  environment: record.environment,
  actor: record.actor,
  scopes: record.scopes,
  createdAt: record.createdAt,
  ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt })
})

/** The listing form of a record at `now`. */
export const infoOf = (record: ApiKeyRecord, now: number): ApiKeyInfo => {
  const { mac: _mac, version: _version, ...rest } = record
  const status =
    record.revokedAt !== undefined || record.mac === undefined
      ? "revoked"
      : record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now
        ? "expired"
        : "active"
  return { ...rest, status }
}
