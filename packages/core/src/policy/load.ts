import { Result } from "effect"
import { defaultConfig } from "../config/load.js"
import type { BgaConfig } from "../config/schema.js"
import { decodeUnknown } from "../contracts/decode.js"
import type { PolicyDecisionTraceV1 } from "../contracts/PolicyDecisionTrace.js"
import { hashOf } from "../hash.js"
import type { InvalidInputError } from "../json/JsonError.js"
import { readTextFile } from "../json/readFile.js"
import { parseJson } from "../json/safeJson.js"
import { PolicyDocument } from "./document.js"
import { PolicyConfigError } from "./errors.js"
import { baselineOf, type CompiledPolicy, compileDocument } from "./internal/compile.js"
import { decide as decideCompiled } from "./internal/evaluate.js"
import { validateDocument } from "./internal/validate.js"
import { PolicyRequest } from "./request.js"

/**
 * A policy ready to decide: the validated document and the platform baseline compiled into a
 * precomputed index. Immutable; build a new one to change the policy.
 */
export interface Policy {
  /** @internal the compiled index */
  readonly compiled: CompiledPolicy
  /** The document it was compiled from. */
  readonly document: PolicyDocument
  /** `hashOf` the document and baseline; every trace of this policy carries it. */
  readonly policyHash: string
  /** Number of document rules (the platform rules come on top). */
  readonly ruleCount: number
}

/** A document with no rules: only the platform baseline applies, so everything is denied. */
export const emptyPolicyDocument: PolicyDocument = { version: 1 }

/**
 * Decodes and validates an untrusted policy document (already parsed JSON). Schema mistakes and
 * semantic ones (unknown group, duplicate id, a rule that can never match, a bad CIDR block)
 * come back together in one `PolicyConfigError`, each with its path.
 */
export const decodePolicyDocument = (
  input: unknown,
  source = "policy document"
): Result.Result<PolicyDocument, PolicyConfigError> => {
  const decoded = decodeUnknown(PolicyDocument, source)(input)
  if (Result.isFailure(decoded)) {
    return Result.fail(
      new PolicyConfigError({
        reason: "invalid",
        source,
        problems: decoded.failure.problems.map((p) => ({ ...p, kind: "schema" as const }))
      })
    )
  }
  const problems = validateDocument(decoded.success)
  if (problems.length > 0) return Result.fail(new PolicyConfigError({ reason: "invalid", source, problems }))
  return Result.succeed(decoded.success)
}

/** Parses and validates a policy document from untrusted JSON text. */
export const parsePolicyDocument = (
  text: string,
  source = "policy document"
): Result.Result<PolicyDocument, PolicyConfigError> => {
  const parsed = parseJson(text, source)
  if (Result.isFailure(parsed)) {
    return Result.fail(
      new PolicyConfigError({
        reason: "malformed",
        source,
        problems: parsed.failure.problems.map((p) => ({ ...p, kind: "schema" as const }))
      })
    )
  }
  return decodePolicyDocument(parsed.success, source)
}

/** Reads, parses and validates a policy document file. */
export const loadPolicyDocumentFile = (path: string): Result.Result<PolicyDocument, PolicyConfigError> => {
  const read = readTextFile(path)
  if (Result.isFailure(read)) {
    return Result.fail(
      new PolicyConfigError({
        reason: read.failure.reason,
        source: path,
        problems: [{ path: "$", kind: "schema", message: read.failure.message }]
      })
    )
  }
  const text = read.success
  return parsePolicyDocument(text, path)
}

/**
 * Compiles a validated document with the platform baseline of `config` (default: the B2B
 * defaults). Use `makePolicy` for a document that has not been validated yet.
 */
export const compilePolicy = (document: PolicyDocument, config: BgaConfig = defaultConfig()): Policy => {
  const baseline = baselineOf(config)
  const policyHash = hashOf({
    document,
    baseline: {
      riskyExecution: baseline.riskyExecution,
      riskyRequireApproval: baseline.riskyRequireApproval,
      riskyRequireApprovalByInstance: Object.fromEntries(baseline.riskyRequireApprovalByInstance)
    }
  })
  const compiled = compileDocument(document, baseline, policyHash)
  return { compiled, document, policyHash, ruleCount: compiled.ruleCount }
}

/** Decodes, validates and compiles an untrusted policy document in one step. */
export const makePolicy = (
  input: unknown,
  options: { readonly config?: BgaConfig; readonly source?: string } = {}
): Result.Result<Policy, PolicyConfigError> =>
  Result.map(decodePolicyDocument(input, options.source), (document) =>
    compilePolicy(document, options.config)
  )

/** Loads and compiles a policy document file. */
export const loadPolicyFile = (
  path: string,
  options: { readonly config?: BgaConfig } = {}
): Result.Result<Policy, PolicyConfigError> =>
  Result.map(loadPolicyDocumentFile(path), (document) => compilePolicy(document, options.config))

/**
 * Decides one request: the synchronous hot path. Returns the full decision trace and records
 * nothing; callers that act on the decision use `PolicyEngine.evaluate`, which also records it.
 * The trace shares the request's `subject` and `resource` objects: do not mutate them.
 */
export const decide = (policy: Policy, request: PolicyRequest): PolicyDecisionTraceV1 =>
  decideCompiled(policy.compiled, request)

/** Decodes an untrusted policy request (parsed JSON), as `policy.evaluate` receives it. */
export const decodePolicyRequest = (input: unknown): Result.Result<PolicyRequest, InvalidInputError> =>
  decodeUnknown(PolicyRequest, "PolicyRequest")(input)
