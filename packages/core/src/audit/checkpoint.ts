import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto"
import { Context, Effect, Layer, Redacted, Result, Schema } from "effect"
import { ConfigError } from "../config/ConfigError.js"
import { ConfigService, resolveSecret } from "../config/load.js"
import { CustomerInstanceId, Sha256Hex } from "../contracts/primitives.js"
import { canonicalJson, sha256Hex } from "../hash.js"

/**
 * Signed checkpoints: an ed25519 signature over a chain head (`seq`, `hash`). Give them to
 * someone who does not share the database (an auditor, an object store with retention lock):
 * with the public key alone they prove the chain had that head, so records later removed from
 * the end, which no hash link can reveal, are detected by `verify(..., { checkpoints })`.
 */

/** The signed content of a checkpoint. `seq` 0 with the genesis hash is an empty chain. */
export const AuditCheckpoint = Schema.Struct({
  version: Schema.Literal(1),
  customerInstanceId: CustomerInstanceId,
  seq: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  hash: Sha256Hex,
  /** When the head record was written. */
  headTs: Schema.String,
  signedAt: Schema.String,
  /** First 16 hex characters of sha256 over the raw public key. */
  keyId: Schema.String.check(Schema.isPattern(/^[0-9a-f]{16}$/u, { expected: "16 hex characters" }))
}).annotate({ identifier: "AuditCheckpoint" })
export type AuditCheckpoint = typeof AuditCheckpoint.Type

/** A checkpoint with its signature (base64 of the 64-byte ed25519 signature). */
export const SignedAuditCheckpoint = Schema.Struct({
  ...AuditCheckpoint.fields,
  signature: Schema.String.check(
    Schema.isPattern(/^[A-Za-z0-9+/]{86}==$/u, { expected: "a base64 ed25519 signature" })
  )
}).annotate({ identifier: "SignedAuditCheckpoint" })
export type SignedAuditCheckpoint = typeof SignedAuditCheckpoint.Type

const pkcs8Prefix = Buffer.from("302e020100300506032b657004220420", "hex")
const spkiPrefix = Buffer.from("302a300506032b6570032100", "hex")

/** Why a key could not be used. */
export class AuditKeyError extends Schema.TaggedError<AuditKeyError>()("@bga/core/AuditKeyError", {
  reason: Schema.Literals(["malformed", "not-ed25519"]),
  which: Schema.Literals(["private", "public"])
}) {
  override get message(): string {
    return this.reason === "malformed"
      ? `the ${this.which} audit key is neither base64 of 32 raw bytes nor a PEM block`
      : `the ${this.which} audit key is not an ed25519 key`
  }
}

const raw32 = (text: string): Buffer | undefined => {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/]{43}=$/u.test(trimmed)) return undefined
  return Buffer.from(trimmed, "base64")
}

const keyOf = (text: string, which: "private" | "public"): Result.Result<KeyObject, AuditKeyError> => {
  let key: KeyObject
  try {
    const bytes = raw32(text)
    if (which === "private") {
      key =
        bytes === undefined
          ? createPrivateKey(text)
          : createPrivateKey({ key: Buffer.concat([pkcs8Prefix, bytes]), format: "der", type: "pkcs8" })
    } else {
      key =
        bytes === undefined
          ? createPublicKey(text)
          : createPublicKey({ key: Buffer.concat([spkiPrefix, bytes]), format: "der", type: "spki" })
    }
  } catch {
    return Result.fail(new AuditKeyError({ reason: "malformed", which }))
  }
  return key.asymmetricKeyType === "ed25519"
    ? Result.succeed(key)
    : Result.fail(new AuditKeyError({ reason: "not-ed25519", which }))
}

/** Reads an ed25519 private key: base64 of the 32-byte seed, or a PKCS#8 PEM block. */
export const parsePrivateKey = (text: string): Result.Result<KeyObject, AuditKeyError> =>
  keyOf(text, "private")

/** Reads an ed25519 public key: base64 of its 32 raw bytes, or an SPKI PEM block. */
export const parsePublicKey = (text: string): Result.Result<KeyObject, AuditKeyError> => keyOf(text, "public")

/** The base64 of a public key's 32 raw bytes: the compact form to publish. */
export const publicKeyBase64 = (key: KeyObject): string => {
  const publicKey = key.type === "private" ? createPublicKey(key) : key
  return publicKey.export({ format: "der", type: "spki" }).subarray(spkiPrefix.length).toString("base64")
}

/** The key id of a public key. */
export const keyIdOf = (key: KeyObject): string =>
  sha256Hex(Buffer.from(publicKeyBase64(key), "base64")).slice(0, 16)

/** Signs a checkpoint body (the canonical JSON of every field but `signature`). */
export const signCheckpoint = (body: AuditCheckpoint, privateKey: KeyObject): SignedAuditCheckpoint => ({
  ...body,
  signature: sign(null, Buffer.from(canonicalJson(body), "utf8"), privateKey).toString("base64")
})

/** True when the checkpoint was signed by the holder of `publicKey` and not changed since. */
export const verifyCheckpointSignature = (
  checkpoint: SignedAuditCheckpoint,
  publicKey: string | KeyObject
): boolean => {
  const key = typeof publicKey === "string" ? parsePublicKey(publicKey) : Result.succeed(publicKey)
  if (Result.isFailure(key)) return false
  if (!Schema.is(SignedAuditCheckpoint)(checkpoint)) return false
  const { signature, ...body } = checkpoint
  if (keyIdOf(key.success) !== body.keyId) return false
  try {
    return verify(
      null,
      Buffer.from(canonicalJson(body), "utf8"),
      key.success,
      Buffer.from(signature, "base64")
    )
  } catch {
    return false
  }
}

/** Signs audit checkpoints with the deployment's key. */
export interface AuditSignerShape {
  readonly keyId: string
  /** base64 of the raw public key: what verifiers need. */
  readonly publicKey: string
  readonly sign: (body: Omit<AuditCheckpoint, "keyId">) => SignedAuditCheckpoint
}

/** The audit checkpoint signer service. */
export class AuditSigner extends Context.Service<AuditSigner, AuditSignerShape>()("@bga/core/AuditSigner") {}

/** Makes a signer from a private key (base64 seed or PKCS#8 PEM). */
export const makeSigner = (
  privateKey: string | Redacted.Redacted<string>
): Result.Result<AuditSignerShape, AuditKeyError> =>
  Result.map(
    parsePrivateKey(Redacted.isRedacted(privateKey) ? Redacted.value(privateKey) : privateKey),
    (key) => {
      const keyId = keyIdOf(key)
      return {
        keyId,
        publicKey: publicKeyBase64(key),
        sign: (body) =>
          signCheckpoint(
            {
              version: 1,
              customerInstanceId: body.customerInstanceId,
              seq: body.seq,
              hash: body.hash,
              headTs: body.headTs,
              signedAt: body.signedAt,
              keyId
            },
            key
          )
      }
    }
  )

/** Provides a signer for the given private key. */
export const layerSigner = (
  privateKey: string | Redacted.Redacted<string>
): Layer.Layer<AuditSigner, AuditKeyError> =>
  Layer.effect(
    AuditSigner,
    Effect.suspend(() => Effect.fromResult(makeSigner(privateKey)))
  )

/** Provides the signer configured at `security.audit.signingKey`. */
export const layerSignerConfig: Layer.Layer<AuditSigner, AuditKeyError | ConfigError, ConfigService> =
  Layer.effect(
    AuditSigner,
    Effect.gen(function* () {
      const config = yield* ConfigService
      const ref = config.security.audit?.signingKey
      if (ref === undefined) {
        return yield* new ConfigError({
          reason: "missing-secret",
          source: "configuration",
          problems: [{ path: "$.security.audit.signingKey", message: "no audit signing key is configured" }]
        })
      }
      const secret = yield* Effect.fromResult(resolveSecret(ref))
      return yield* Effect.fromResult(makeSigner(secret))
    })
  )
