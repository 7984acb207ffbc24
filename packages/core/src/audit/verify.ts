import { type AuditRecord, genesisHash, hashRecord } from "./AuditRecord.js"
import { type SignedAuditCheckpoint, verifyCheckpointSignature } from "./checkpoint.js"
import { type AnchorPayload, anchorOf } from "./retention.js"

/**
 * What `verify` found wrong, and where.
 *
 * - `hash-mismatch`: the record's content was changed after it was written;
 * - `broken-link`: `prevHash` is not the previous record's hash (a record before it was
 *   changed and re-hashed, replaced, or inserted);
 * - `missing`: sequence numbers are skipped (records deleted);
 * - `out-of-order`: a sequence number repeats or goes back (records reordered or duplicated);
 * - `foreign-instance`: the record names another customer instance;
 * - `time-regression`: the timestamp is earlier than the previous record's;
 * - `unreadable`: the stored row cannot be read as a record;
 * - `unanchored-start`: the chain starts after seq 1 without a retention anchor for the cut;
 * - `anchor-mismatch`: the first kept record does not link to what the anchor says was pruned;
 * - `checkpoint-mismatch`, `checkpoint-beyond-head`, `checkpoint-signature`: a signed
 *   checkpoint disagrees with the chain, names a record that is gone from the end (truncation),
 *   or its signature does not verify.
 */
export type VerifyProblemKind =
  | "hash-mismatch"
  | "broken-link"
  | "missing"
  | "out-of-order"
  | "foreign-instance"
  | "time-regression"
  | "unreadable"
  | "unanchored-start"
  | "anchor-mismatch"
  | "checkpoint-mismatch"
  | "checkpoint-beyond-head"
  | "checkpoint-signature"

/** One problem: the kind, the sequence number (and line, for JSONL) where it was seen. */
export interface VerifyProblem {
  readonly kind: VerifyProblemKind
  readonly seq?: number
  readonly recordId?: string
  /** 1-based line of a JSONL document. */
  readonly line?: number
  readonly message: string
}

/** The result of verifying a chain or part of one. */
export interface VerifyReport {
  readonly ok: boolean
  readonly customerInstanceId: string
  /** Records read. */
  readonly checked: number
  readonly firstSeq?: number
  readonly lastSeq?: number
  /** Hash of the last record read. */
  readonly lastHash?: string
  /** The first `maxReportedProblems` problems, in chain order. */
  readonly problems: ReadonlyArray<VerifyProblem>
  /** All problems found, including those not listed. */
  readonly problemCount: number
  /** Checkpoints whose record was found with the signed hash. */
  readonly checkpointsVerified: number
  /** Checkpoints naming records that retention has pruned (neither confirmed nor refuted). */
  readonly checkpointsPruned: number
}

/** Problems listed in a report; the count covers the rest. */
export const maxReportedProblems = 100

/** Options of a verification. */
export interface VerifyOptions {
  /**
   * Where the verified range starts when it is not the start of the chain: the expected
   * `prevHash` of the record at `seq` (the hash of the record before it), if known.
   */
  readonly startAt?: { readonly seq: number; readonly prevHash?: string }
  /** Whether the range ends at the head, so checkpoints beyond the last record mean truncation. */
  readonly toHead?: boolean
  /** Signed checkpoints to hold the chain to (detects truncation of the newest records). */
  readonly checkpoints?: ReadonlyArray<SignedAuditCheckpoint>
  /** ed25519 public key (base64 of 32 bytes or SPKI PEM) the checkpoints must be signed with. */
  readonly publicKey?: string
  /** The newest retention anchor, when it lies beyond the verified range. */
  readonly anchor?: AnchorPayload
}

/**
 * Verifies a chain incrementally, one record at a time in stored order, in constant memory
 * (beyond the checkpoints and anchors it holds). Used for stored chains and for JSONL exports.
 */
export class ChainVerifier {
  private readonly problems: Array<VerifyProblem> = []
  private problemCount = 0
  private checked = 0
  private first: AuditRecord | undefined
  /** The last position read; `hash` is absent after an unreadable row (its link cannot be checked). */
  private prev: { readonly seq: number; readonly hash?: string; readonly ts?: string } | undefined
  private anchor: AnchorPayload | undefined
  private readonly pending = new Map<number, SignedAuditCheckpoint>()
  private checkpointsVerified = 0
  private checkpointsPruned = 0

  constructor(
    readonly customerInstanceId: string,
    private readonly options: VerifyOptions = {}
  ) {
    this.anchor = options.anchor
    for (const cp of options.checkpoints ?? []) {
      if (options.publicKey !== undefined && !verifyCheckpointSignature(cp, options.publicKey)) {
        this.report({
          kind: "checkpoint-signature",
          seq: cp.seq,
          message: "the checkpoint signature does not verify"
        })
      } else if (cp.customerInstanceId !== customerInstanceId) {
        this.report({
          kind: "checkpoint-mismatch",
          seq: cp.seq,
          message: "the checkpoint is for another customer instance"
        })
      } else if (cp.seq > 0) {
        this.pending.set(cp.seq, cp)
      }
    }
  }

  private report(problem: VerifyProblem): void {
    this.problemCount++
    if (this.problems.length < maxReportedProblems) this.problems.push(problem)
  }

  /** Reports a stored row that could not be read as a record. */
  unreadable(seq: number | undefined, message: string, line?: number): void {
    this.checked++
    if (seq !== undefined && (this.prev === undefined || seq > this.prev.seq)) this.prev = { seq }
    this.report({
      kind: "unreadable",
      ...(seq === undefined ? {} : { seq }),
      ...(line === undefined ? {} : { line }),
      message
    })
  }

  /** Checks the next record. */
  push(r: AuditRecord, line?: number): void {
    this.checked++
    const where = { seq: r.seq, recordId: r.recordId, ...(line === undefined ? {} : { line }) }
    if (r.customerInstanceId !== this.customerInstanceId) {
      this.report({
        kind: "foreign-instance",
        ...where,
        message: `the record names customer instance ${r.customerInstanceId}`
      })
    }
    if (hashRecord(r) !== r.hash) {
      this.report({
        kind: "hash-mismatch",
        ...where,
        message: "the record's content does not match its hash"
      })
    }
    const prev = this.prev
    if (prev === undefined) {
      this.first = r
      const start = this.options.startAt
      if (start !== undefined && r.seq !== start.seq) {
        this.report({
          kind: "missing",
          ...where,
          message: `records ${start.seq} to ${r.seq - 1} are missing`
        })
      } else if (start?.prevHash !== undefined && r.prevHash !== start.prevHash) {
        this.report({
          kind: "broken-link",
          ...where,
          message: `prevHash does not match the hash of seq ${r.seq - 1}`
        })
      }
    } else if (r.seq <= prev.seq) {
      this.report({ kind: "out-of-order", ...where, message: `seq ${r.seq} follows seq ${prev.seq}` })
    } else if (r.seq > prev.seq + 1) {
      this.report({
        kind: "missing",
        ...where,
        message:
          r.seq === prev.seq + 2
            ? `record ${prev.seq + 1} is missing`
            : `records ${prev.seq + 1} to ${r.seq - 1} are missing`
      })
    } else {
      if (prev.hash !== undefined && r.prevHash !== prev.hash) {
        this.report({
          kind: "broken-link",
          ...where,
          message: `prevHash does not match the hash of seq ${prev.seq}`
        })
      }
      if (prev.ts !== undefined && r.ts < prev.ts)
        this.report({ kind: "time-regression", ...where, message: `ts ${r.ts} is before ${prev.ts}` })
    }
    const anchor = anchorOf(r)
    if (
      anchor !== undefined &&
      (this.anchor === undefined || anchor.prunedThroughSeq > this.anchor.prunedThroughSeq)
    ) {
      this.anchor = anchor
    }
    const cp = this.pending.get(r.seq)
    if (cp !== undefined) {
      this.pending.delete(r.seq)
      if (cp.hash === r.hash) this.checkpointsVerified++
      else
        this.report({
          kind: "checkpoint-mismatch",
          ...where,
          message: "the record's hash differs from the signed checkpoint"
        })
    }
    if (prev === undefined || r.seq > prev.seq) this.prev = r
  }

  /** Finishes: checks the start of the chain against its anchor and the remaining checkpoints. */
  finish(): VerifyReport {
    const first = this.first
    if (first !== undefined && this.options.startAt === undefined) {
      if (first.seq === 1) {
        if (first.prevHash !== genesisHash) {
          this.report({
            kind: "broken-link",
            seq: 1,
            recordId: first.recordId,
            message: "the first record does not link to the genesis hash"
          })
        }
      } else {
        const anchor = this.anchor
        if (anchor === undefined || anchor.prunedThroughSeq < first.seq - 1) {
          this.report({
            kind: "unanchored-start",
            seq: first.seq,
            recordId: first.recordId,
            message: `records before seq ${first.seq} are missing and no retention anchor accounts for them`
          })
        } else if (anchor.prunedThroughSeq === first.seq - 1 && anchor.prunedThroughHash !== first.prevHash) {
          this.report({
            kind: "anchor-mismatch",
            seq: first.seq,
            recordId: first.recordId,
            message: `prevHash does not match the hash the anchor recorded for seq ${anchor.prunedThroughSeq}`
          })
        }
      }
    }
    const lastSeq = this.prev?.seq ?? 0
    for (const cp of this.pending.values()) {
      if (first !== undefined && cp.seq < first.seq) {
        if (this.options.startAt === undefined) this.checkpointsPruned++
      } else if (cp.seq > lastSeq) {
        if (this.options.toHead !== false) {
          this.report({
            kind: "checkpoint-beyond-head",
            seq: cp.seq,
            message: `a checkpoint signed seq ${cp.seq} but the chain ends at ${lastSeq}: records were removed from the end`
          })
        }
      } else {
        this.report({
          kind: "checkpoint-mismatch",
          seq: cp.seq,
          message: "the checkpointed record is missing"
        })
      }
    }
    const last = this.prev
    return {
      ok: this.problemCount === 0,
      customerInstanceId: this.customerInstanceId,
      checked: this.checked,
      ...(first === undefined ? {} : { firstSeq: first.seq }),
      ...(last === undefined ? {} : { lastSeq: last.seq }),
      ...(last?.hash === undefined ? {} : { lastHash: last.hash }),
      problems: this.problems,
      problemCount: this.problemCount,
      checkpointsVerified: this.checkpointsVerified,
      checkpointsPruned: this.checkpointsPruned
    }
  }
}

/** Verifies records given in chain order (for example, read from an export). */
export const verifyRecords = (
  customerInstanceId: string,
  records: Iterable<AuditRecord>,
  options?: VerifyOptions
): VerifyReport => {
  const verifier = new ChainVerifier(customerInstanceId, options)
  for (const r of records) verifier.push(r)
  return verifier.finish()
}
