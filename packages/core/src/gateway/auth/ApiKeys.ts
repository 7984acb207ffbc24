import { Clock, Context, Data, Effect, Layer, Option, Redacted, Result } from "effect"
import type { JsonObject } from "effect/Schema"
import { AuditLog, type AuditLogShape } from "../../audit/AuditLog.js"
import type { Actor } from "../../contracts/Actor.js"
import { decodeUnknown } from "../../contracts/decode.js"
import { newId } from "../../ids.js"
import type { InvalidInputError } from "../../json/JsonError.js"
import { type ConflictError, NotFoundError, type StorageError } from "../../storage/errors.js"
import { KeyValue, type KeyValueShape } from "../../storage/KeyValue.js"
import type { Scope } from "../scopes.js"
import { type ApiKeyInfo, ApiKeyRecord, boundFields, CreateKeyInput, infoOf } from "./ApiKeyRecord.js"
import { defaultAddressLockout, defaultKeyLockout, Lockout, type LockoutLimits } from "./lockout.js"
import { formatToken, keyMac, newSecret, parseToken, pepperKey, sameDigest } from "./token.js"

/**
 * Where keys live: the `KeyValue` port of the key's customer instance, under this namespace.
 * The namespace is reserved for the gateway: a host must not run a plugin by this name (plugins
 * get the namespace of their own manifest name). Even a writer of the namespace cannot mint
 * or widen a key without the pepper, since every record is bound to its MAC.
 */
export const keyNamespace = "@bga/gateway"

/** KeyValue key of one API key record. */
export const keyPath = (keyId: string): string => `apikey/${keyId}`

/** An authenticated caller: one key, bound to one customer instance and environment. */
export interface Principal {
  readonly keyId: string
  readonly name: string
  readonly customerInstanceId: string
  readonly environment: string
  readonly actor: Actor
  readonly scopes: ReadonlyArray<Scope>
  readonly expiresAt?: string
}

/** Why a credential was refused. Every reason answers the caller the same way (`unauthenticated`). */
export type AuthFailureReason =
  | "missing"
  | "malformed"
  | "unknown_key"
  | "bad_secret"
  | "revoked"
  | "expired"
  | "locked"

/** A credential was refused; the gateway audits it and answers `unauthenticated` or `locked_out`. */
export class AuthFailure extends Data.TaggedError("AuthFailure")<{
  readonly reason: AuthFailureReason
  /** The instance the credential named, when it could be read. */
  readonly customerInstanceId?: string
  readonly keyId?: string
  /** For `locked`: how long until the lock ends. */
  readonly retryAfterMs?: number
  /** Set when this failure started a lock: what was locked. */
  readonly lockStarted?: "key" | "address"
}> {}

/** The key store and authenticator of the gateway. */
export interface ApiKeysShape {
  /** Creates a key; the token is returned here once and never stored. Audited as `auth.key_created`. */
  readonly create: (
    input: CreateKeyInput
  ) => Effect.Effect<
    { readonly key: ApiKeyInfo; readonly token: string },
    InvalidInputError | ConflictError | StorageError
  >
  /** The keys of one customer instance, oldest first, revoked ones included. */
  readonly list: (
    customerInstanceId: string
  ) => Effect.Effect<ReadonlyArray<ApiKeyInfo>, InvalidInputError | StorageError>
  /** Revokes a key at once; audited as `auth.key_revoked`. Revoking a revoked key changes nothing. */
  readonly revoke: (
    customerInstanceId: string,
    keyId: string,
    by: string
  ) => Effect.Effect<ApiKeyInfo, InvalidInputError | NotFoundError | ConflictError | StorageError>
  /**
   * Checks a presented credential from `clientAddress`: lockouts first (address, then key), then
   * the key's record and MAC. Storage failures fail closed (`StorageError`, never a principal).
   */
  readonly authenticate: (
    credential: string | undefined,
    clientAddress: string
  ) => Effect.Effect<Principal, AuthFailure | StorageError>
}

/** The API key port. */
export class ApiKeys extends Context.Service<ApiKeys, ApiKeysShape>()("@bga/core/ApiKeys") {}

/** What the key store is built from. */
export interface ApiKeysOptions {
  /** The deployment's key pepper (at least 32 characters), kept outside the database. */
  readonly pepper: Redacted.Redacted<string>
  readonly lockout?: { readonly key?: Partial<LockoutLimits>; readonly address?: Partial<LockoutLimits> }
}

const decodeRecord = decodeUnknown(ApiKeyRecord, "ApiKeyRecord")
const decodeCreate = decodeUnknown(CreateKeyInput, "CreateKeyInput")
const maxKeysListed = 10_000

const principalOf = (record: ApiKeyRecord): Principal => ({
  keyId: record.keyId,
  name: record.name,
  customerInstanceId: record.customerInstanceId,
  environment: record.environment,
  actor: record.actor,
  scopes: record.scopes,
  ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt })
})

const keyEvent = (record: ApiKeyRecord, eventType: string, payload: JsonObject) => ({
  kind: "auth_event" as const,
  eventType,
  actorId: record.actor.id,
  payload: {
    version: 1,
    keyId: record.keyId,
    name: record.name,
    environment: record.environment,
    scopes: [...record.scopes],
    ...payload
  }
})

/** Builds the key store over a `KeyValue` and an `AuditLog`. */
export const make = (kv: KeyValueShape, audit: AuditLogShape, options: ApiKeysOptions): ApiKeysShape => {
  const pepperText = Redacted.value(options.pepper)
  if (pepperText.length < 32) throw new Error("the API key pepper must have at least 32 characters")
  const pepper = pepperKey(Buffer.from(pepperText, "utf8"))
  const keyLockout = new Lockout({ ...defaultKeyLockout, ...options.lockout?.key })
  const addressLockout = new Lockout({ ...defaultAddressLockout, ...options.lockout?.address })
  const dummy: ApiKeyRecord = {
    version: 1,
    keyId: newId(),
    name: "timing",
    customerInstanceId: "timing",
    environment: "production",
    actor: { kind: "system", id: "timing", roles: [] },
    scopes: ["runs:read"],
    createdAt: new Date(0).toISOString(),
    createdBy: "timing"
  }

  const read = (customerInstanceId: string, keyId: string) =>
    Effect.map(kv.get(customerInstanceId, keyNamespace, keyPath(keyId)), (entry) =>
      Option.flatMap(entry, (e) => Result.getSuccess(decodeRecord(e.value)))
    )

  const create: ApiKeysShape["create"] = (raw) =>
    Effect.gen(function* () {
      const input = yield* Effect.fromResult(decodeCreate(raw))
      const now = yield* Clock.currentTimeMillis
      const secret = newSecret()
      const unsigned: ApiKeyRecord = {
        version: 1,
        keyId: newId(),
        name: input.name,
        customerInstanceId: input.customerInstanceId,
        environment: input.environment ?? "production",
        actor: input.actor ?? { kind: "service", id: `apikey:${input.name}`, roles: [] },
        scopes: input.scopes,
        createdAt: new Date(now).toISOString(),
        createdBy: input.createdBy ?? "unknown",
        ...(input.expiresAt === undefined ? {} : { expiresAt: input.expiresAt })
      }
      const record: ApiKeyRecord = { ...unsigned, mac: keyMac(pepper, boundFields(unsigned), secret) }
      // Audited before it exists: a failed audit leaves no key nobody can account for.
      yield* audit.append(
        record.customerInstanceId,
        keyEvent(record, "auth.key_created", {
          createdBy: record.createdBy,
          ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt })
        })
      )
      yield* kv.set(record.customerInstanceId, keyNamespace, keyPath(record.keyId), record)
      return {
        key: infoOf(record, now),
        token: formatToken({
          customerInstanceId: record.customerInstanceId,
          keyId: record.keyId,
          secret
        })
      }
    })

  const list: ApiKeysShape["list"] = (customerInstanceId) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const keys: Array<ApiKeyInfo> = []
      let cursor: string | undefined
      do {
        const page = yield* kv.list(customerInstanceId, keyNamespace, {
          prefix: "apikey/",
          limit: 1000,
          ...(cursor === undefined ? {} : { cursor })
        })
        for (const entry of page.items) {
          const record = decodeRecord(entry.value)
          if (Result.isSuccess(record)) keys.push(infoOf(record.success, now))
        }
        cursor = page.nextCursor
      } while (cursor !== undefined && keys.length < maxKeysListed)
      return keys.sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0))
    })

  const revoke: ApiKeysShape["revoke"] = (customerInstanceId, keyId, by) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const found = yield* read(customerInstanceId, keyId)
      if (Option.isNone(found)) {
        return yield* new NotFoundError({ entity: "kv-entry", customerInstanceId, id: keyId })
      }
      const record = found.value
      if (record.mac === undefined) return infoOf(record, now)
      const { mac: _mac, ...rest } = record
      const revoked: ApiKeyRecord = {
        ...rest,
        revokedAt: new Date(now).toISOString(),
        revokedBy: by.slice(0, 256) || "unknown"
      }
      // Revoked before it is audited: a failed audit must not leave the key usable.
      yield* kv.set(customerInstanceId, keyNamespace, keyPath(keyId), revoked)
      yield* audit.append(
        customerInstanceId,
        keyEvent(revoked, "auth.key_revoked", { revokedBy: revoked.revokedBy ?? "unknown" })
      )
      return infoOf(revoked, now)
    })

  const authenticate: ApiKeysShape["authenticate"] = (credential, clientAddress) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const address = `addr:${clientAddress}`
      const addressState = addressLockout.check(address, now)
      if (addressState.locked) {
        return yield* new AuthFailure({ reason: "locked", retryAfterMs: addressState.retryAfterMs })
      }
      const refuse = (
        failure: Omit<ConstructorParameters<typeof AuthFailure>[0], "lockStarted">,
        keyLock?: string
      ) => {
        const byKey = keyLock === undefined ? undefined : keyLockout.fail(keyLock, now)
        const byAddress = addressLockout.fail(address, now)
        const lockStarted =
          byKey?.locked === true && byKey.lockedNow
            ? "key"
            : byAddress.locked && byAddress.lockedNow
              ? "address"
              : undefined
        return Effect.fail(
          new AuthFailure({ ...failure, ...(lockStarted === undefined ? {} : { lockStarted }) })
        )
      }
      if (credential === undefined || credential === "") return yield* refuse({ reason: "missing" })
      const parsed = parseToken(credential)
      if (parsed === undefined) return yield* refuse({ reason: "malformed" })
      const { customerInstanceId, keyId, secret } = parsed
      const lockKey = `key:${customerInstanceId}/${keyId}`
      const keyState = keyLockout.check(lockKey, now)
      if (keyState.locked) {
        return yield* new AuthFailure({
          reason: "locked",
          customerInstanceId,
          keyId,
          retryAfterMs: keyState.retryAfterMs
        })
      }
      const found = yield* Effect.catchTag(
        read(customerInstanceId, keyId),
        "@bga/core/InvalidInputError",
        () => Effect.succeed(Option.none<ApiKeyRecord>())
      )
      if (Option.isNone(found)) {
        // Same work as a known key, so timing does not tell which key ids exist.
        keyMac(pepper, boundFields(dummy), secret)
        return yield* refuse({ reason: "unknown_key", customerInstanceId, keyId })
      }
      const record = found.value
      if (record.mac === undefined || record.revokedAt !== undefined) {
        return yield* refuse({ reason: "revoked", customerInstanceId, keyId }, lockKey)
      }
      if (!sameDigest(keyMac(pepper, boundFields(record), secret), record.mac)) {
        return yield* refuse({ reason: "bad_secret", customerInstanceId, keyId }, lockKey)
      }
      if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now) {
        return yield* new AuthFailure({ reason: "expired", customerInstanceId, keyId })
      }
      keyLockout.succeed(lockKey)
      return principalOf(record)
    })

  return { create, list, revoke, authenticate }
}

/** Provides the key store over the `KeyValue` and `AuditLog` in context. */
export const layer = (options: ApiKeysOptions): Layer.Layer<ApiKeys, never, KeyValue | AuditLog> =>
  Layer.effect(
    ApiKeys,
    Effect.gen(function* () {
      return make(yield* Effect.service(KeyValue), yield* Effect.service(AuditLog), options)
    })
  )
