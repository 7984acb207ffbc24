import { createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from "node:crypto"
import { canonicalJson } from "../../hash.js"

/**
 * Operator API keys on the wire: `bga1.<customer instance>.<key id>.<secret>`. The secret is 32
 * random bytes (base64url); the customer instance and key id are public parts that say where
 * the key is stored, so a lookup is one read in that instance's namespace and a failure can be
 * audited in the chain of the instance it was aimed at. None of the parts contains a `.`.
 */

/** Prefix of every key; also lets secret scanners recognize leaked keys. */
export const tokenPrefix = "bga1"

const instancePart = /^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$/u
const keyIdPart = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/u
const secretPart = /^[A-Za-z0-9_-]{43}$/u

/** Longest credential looked at; anything longer is malformed without being split. */
export const maxTokenLength = 256

/** The parts of a well-formed key. */
export interface ParsedToken {
  readonly customerInstanceId: string
  readonly keyId: string
  readonly secret: string
}

/** Makes a new secret: 256 bits from the system's CSPRNG. */
export const newSecret = (): string => randomBytes(32).toString("base64url")

/** Writes a key. */
export const formatToken = (parts: ParsedToken): string =>
  `${tokenPrefix}.${parts.customerInstanceId}.${parts.keyId}.${parts.secret}`

/** Splits a presented key; `undefined` when it is not one (wrong prefix, part or length). */
export const parseToken = (token: string): ParsedToken | undefined => {
  if (token.length > maxTokenLength) return undefined
  const parts = token.split(".")
  if (parts.length !== 4 || parts[0] !== tokenPrefix) return undefined
  const [, customerInstanceId, keyId, secret] = parts as [string, string, string, string]
  if (!instancePart.test(customerInstanceId) || !keyIdPart.test(keyId) || !secretPart.test(secret)) {
    return undefined
  }
  return { customerInstanceId, keyId, secret }
}

/**
 * The stored proof of a key: HMAC-SHA256, keyed by the deployment's pepper, over the key's
 * record (instance, scopes, actor, expiry...) and its secret.
 *
 * Why a fast MAC and not a password hash (bcrypt, scrypt, argon2): the secret is 256 random
 * bits, so nobody can guess it offline however fast the hash is; slow hashes protect
 * low-entropy passwords and would cost tens of milliseconds of CPU on every request. Why
 * keyed and over the record: with the pepper kept outside the database (a secret file or
 * environment variable), a copy of the database alone cannot mint a key, and a record whose
 * scopes, instance or actor were edited in the store no longer matches any key.
 */
export const keyMac = (pepper: Uint8Array | KeyObject, bound: unknown, secret: string): string =>
  createHmac("sha256", pepper).update(canonicalJson(bound)).update("\n").update(secret).digest("hex")

/** The pepper as a key object, made once: importing raw key bytes on every HMAC is most of its cost. */
export const pepperKey = (pepper: Uint8Array): KeyObject => createSecretKey(pepper)

/** Constant-time comparison of two lowercase hex digests. */
export const sameDigest = (a: string, b: string): boolean => {
  const x = Buffer.from(a, "hex")
  const y = Buffer.from(b, "hex")
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y)
}
