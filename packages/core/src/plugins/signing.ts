import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify
} from "node:crypto"
import { Result } from "effect"
import { canonicalJson, sha256Hex } from "../hash.js"
import { type PluginError, pluginError } from "./PluginError.js"

/** A freshly generated publisher key pair. Keep `privateKeyPem` secret; publish the rest. */
export interface SigningKeyPair {
  readonly keyId: string
  /** base64 of the 32 raw ed25519 public key bytes (the form `plugins.trustedKeys` takes). */
  readonly publicKey: string
  /** PKCS#8 PEM of the private key. */
  readonly privateKeyPem: string
}

const rawPublicKey = (key: KeyObject): Buffer =>
  Buffer.from(key.export({ format: "jwk" }).x ?? "", "base64url")

/**
 * The default key id of a public key: `ed25519:` + the first 32 hex characters of the sha256 of
 * its raw bytes. Any id works in the keyring; this one lets a reader check which key is meant.
 */
export const keyIdOf = (publicKey: KeyObject): string =>
  `ed25519:${sha256Hex(rawPublicKey(publicKey)).slice(0, 32)}`

/** Generates an ed25519 key pair for signing plugins or catalogs. */
export const generateSigningKey = (): SigningKeyPair => {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519")
  return {
    keyId: keyIdOf(publicKey),
    publicKey: rawPublicKey(publicKey).toString("base64"),
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString()
  }
}

/** Reads an ed25519 public key given as base64 of its 32 raw bytes or as an SPKI PEM block. */
export const parsePublicKey = (text: string, keyId: string): Result.Result<KeyObject, PluginError> => {
  const trimmed = text.trim()
  try {
    let key: KeyObject
    if (trimmed.startsWith("-----BEGIN")) {
      key = createPublicKey(trimmed)
    } else {
      const raw = Buffer.from(trimmed, "base64")
      if (raw.length !== 32 || raw.toString("base64") !== trimmed) throw new Error("not base64 of 32 bytes")
      key = createPublicKey({
        key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") },
        format: "jwk"
      })
    }
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType} key, not ed25519`)
    return Result.succeed(key)
  } catch (error) {
    return Result.fail(
      pluginError(
        "invalid-key",
        keyId,
        `public key ${keyId} is not an ed25519 key: ${(error as Error).message}`
      )
    )
  }
}

/** Reads an ed25519 private key from PEM (PKCS#8). */
export const parsePrivateKey = (pem: string): Result.Result<KeyObject, PluginError> => {
  try {
    const key = createPrivateKey(pem)
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType} key, not ed25519`)
    return Result.succeed(key)
  } catch (error) {
    return Result.fail(
      pluginError("invalid-key", "private key", `not an ed25519 private key: ${(error as Error).message}`)
    )
  }
}

/** The public half of a private key. */
export const publicKeyOf = (privateKey: KeyObject): KeyObject => createPublicKey(privateKey)

/** base64 of the raw public key bytes, the form the keyring takes. */
export const encodePublicKey = (publicKey: KeyObject): string => rawPublicKey(publicKey).toString("base64")

/**
 * The exact bytes signed for a manifest or catalog: RFC 8785 canonical JSON of the document
 * without its `signature` key, UTF-8 encoded.
 */
export const signingPayload = (document: object): Buffer => {
  const { signature: _signature, ...unsigned } = document as Record<string, unknown>
  return Buffer.from(canonicalJson(unsigned), "utf8")
}

/** Signs a manifest or catalog; returns it with `signature` set (any old signature replaced). */
export const signDocument = <D extends object>(
  document: D,
  privateKey: KeyObject,
  keyId: string
): D & {
  readonly signature: { readonly algorithm: "ed25519"; readonly keyId: string; readonly value: string }
} => {
  const value = sign(null, signingPayload(document), privateKey).toString("base64")
  return { ...document, signature: { algorithm: "ed25519", keyId, value } }
}

/** True when `signatureB64` is a valid ed25519 signature of the document by `publicKey`. */
export const verifyDocument = (document: object, signatureB64: string, publicKey: KeyObject): boolean => {
  const signature = Buffer.from(signatureB64, "base64")
  if (signature.length !== 64) return false
  try {
    return verify(null, signingPayload(document), publicKey, signature)
  } catch {
    return false
  }
}
