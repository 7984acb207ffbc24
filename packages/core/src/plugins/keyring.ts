import type { KeyObject } from "node:crypto"
import { Result } from "effect"
import { type PluginError, pluginError } from "./PluginError.js"
import { keyIdOf, parsePublicKey } from "./signing.js"

/**
 * Publisher keys the host trusts, and the revoked ones. Built only from host configuration: a
 * key carried inside a manifest is never looked at.
 */
export interface Keyring {
  readonly keys: ReadonlyMap<string, KeyObject>
  readonly revoked: ReadonlySet<string>
}

/** Builds a keyring; a malformed or duplicated key id is an error, not a silently skipped key. */
export const makeKeyring = (
  trusted: ReadonlyArray<{ readonly keyId: string; readonly publicKey: string }>,
  revokedKeyIds: ReadonlyArray<string> = []
): Result.Result<Keyring, PluginError> => {
  const keys = new Map<string, KeyObject>()
  for (const { keyId, publicKey } of trusted) {
    if (keys.has(keyId))
      return Result.fail(pluginError("invalid-key", keyId, `key id ${keyId} is listed twice`))
    const parsed = parsePublicKey(publicKey, keyId)
    if (Result.isFailure(parsed)) return Result.fail(parsed.failure)
    keys.set(keyId, parsed.success)
  }
  return Result.succeed({ keys, revoked: new Set(revokedKeyIds) })
}

/**
 * The trusted key for `keyId`. Revocation wins over trust and matches either the configured
 * id or the key's fingerprint id (`keyIdOf`), so re-listing a revoked key under a new id does
 * not bring it back.
 */
export const lookupKey = (
  keyring: Keyring,
  keyId: string,
  plugin: string
): Result.Result<KeyObject, PluginError> => {
  const key = keyring.keys.get(keyId)
  if (keyring.revoked.has(keyId) || (key !== undefined && keyring.revoked.has(keyIdOf(key)))) {
    return Result.fail(
      pluginError("revoked-key", plugin, `signing key ${keyId} is revoked (plugins.revokedKeyIds)`)
    )
  }
  if (key === undefined) {
    return Result.fail(
      pluginError(
        "untrusted-key",
        plugin,
        `signing key ${keyId} is not in the trusted keyring (plugins.trustedKeys)`
      )
    )
  }
  return Result.succeed(key)
}
