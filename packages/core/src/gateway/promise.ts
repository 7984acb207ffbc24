import { Effect } from "effect"
import type { ApiKeyInfo, CreateKeyInput } from "./auth/ApiKeyRecord.js"
import type { ApiKeysShape, Principal } from "./auth/ApiKeys.js"
import type { GatewayCall, GatewayResult, GatewayShape } from "./Gateway.js"

/** The gateway for hosts that do not use Effect: `call` never rejects (failures are results). */
export interface PromiseGateway {
  readonly call: (request: GatewayCall) => Promise<GatewayResult>
}

/** Wraps a gateway for Promise code. */
export const toPromise = (gateway: GatewayShape): PromiseGateway => ({
  call: (request) => Effect.runPromise(gateway.call(request))
})

/** The key store for Promise code; rejects with the same typed errors as the Effect API. */
export interface PromiseApiKeys {
  readonly create: (input: CreateKeyInput) => Promise<{ readonly key: ApiKeyInfo; readonly token: string }>
  readonly list: (customerInstanceId: string) => Promise<ReadonlyArray<ApiKeyInfo>>
  readonly revoke: (customerInstanceId: string, keyId: string, by: string) => Promise<ApiKeyInfo>
  readonly authenticate: (credential: string | undefined, clientAddress: string) => Promise<Principal>
}

/** Wraps a key store for Promise code. */
export const keysToPromise = (keys: ApiKeysShape): PromiseApiKeys => ({
  create: (input) => Effect.runPromise(keys.create(input)),
  list: (ci) => Effect.runPromise(keys.list(ci)),
  revoke: (ci, keyId, by) => Effect.runPromise(keys.revoke(ci, keyId, by)),
  authenticate: (credential, address) => Effect.runPromise(keys.authenticate(credential, address))
})
