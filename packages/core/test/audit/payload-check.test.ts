import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Result, Schema } from "effect"
import * as Arbitrary from "effect/Arbitrary"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { prepareEntry } from "../../src/audit/AuditEntry.js"
import { publishedContracts, Timestamp } from "../../src/contracts/index.js"
import { compileFastCheck, jsonSchemaOf } from "../../src/contracts/internal/fastCheck.js"
import { canonicalJson } from "../../src/hash.js"
import { newId } from "../../src/ids.js"
import { checkJsonValue } from "../../src/json/safeJson.js"

// Audit appends ask a compiled check first and decode only what it refuses. That is only sound
// if the check accepts nothing the decoder rejects; these properties hold it to the decoder
// exactly, on valid samples and on samples broken in every way a generator can think of.

const strict = { errors: "all", onExcessProperty: "error" } as const
const schemaDir = join(import.meta.dirname, "..", "..", "schemas")

const samplesOf = (schema: Schema.Codec<unknown>, count: number) =>
  Effect.runSync(Arbitrary.sampleEffect(Arbitrary.schema(schema), { count, seed: 20260807 })).map(
    (value) => Schema.encodeUnknownSync(schema)(value) as unknown
  )

type Path = ReadonlyArray<string | number>

/** Every place in a JSON value, the root included. */
const pathsOf = (value: unknown, at: Path = []): Array<Path> => {
  const here: Array<Path> = [at]
  if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      here.push(...pathsOf(inner, [...at, Array.isArray(value) ? Number(key) : key]))
    }
  }
  return here
}

const valueAt = (value: unknown, path: Path): unknown =>
  path.reduce<unknown>((v, key) => (v as Record<string | number, unknown>)[key], value)

/** A deep copy with `change` applied to the value at `path` (the root when empty). */
const changeAt = (value: unknown, path: Path, change: (v: unknown) => unknown): unknown => {
  if (path.length === 0) return change(structuredClone(value))
  const copy = structuredClone(value) as Record<string | number, unknown>
  const parent = valueAt(copy, path.slice(0, -1)) as Record<string | number, unknown>
  parent[path.at(-1) as string | number] = change(parent[path.at(-1) as string | number])
  return copy
}

const removeAt = (value: unknown, path: Path): unknown => {
  if (path.length === 0) return value
  const copy = structuredClone(value) as Record<string | number, unknown>
  const parent = valueAt(copy, path.slice(0, -1))
  const key = path.at(-1) as string | number
  if (Array.isArray(parent)) parent.splice(key as number, 1)
  else delete (parent as Record<string | number, unknown>)[key]
  return copy
}

/** Strings near every length bound the contracts use, in ASCII and in astral characters. */
const boundaryString = fc
  .tuple(
    fc.constantFrom(0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513, 4096, 4097),
    fc.constantFrom("a", "😀", "é", "-", "0", "A")
  )
  .map(([n, unit]) => unit.repeat(unit.length === 2 ? Math.ceil(n / 2) : n))

/** Values a broken payload might hold: anything JSON, and the near misses of every format. */
const replacement = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  boundaryString,
  fc.string({ unit: "binary" }),
  fc.constantFrom(
    -1,
    0,
    -0,
    1.5,
    2 ** 53,
    1e21,
    "",
    "2026-02-30T00:00:00.000Z",
    "2026-02-29T00:00:00.000Z",
    "2028-02-29T23:59:59.999Z",
    "1900-02-29T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-01-01 00:00:00Z",
    "2026-01-01T00:00:00",
    "0".repeat(32),
    `${"0".repeat(31)}1`,
    "a".repeat(64),
    "A".repeat(64),
    newId(),
    newId().toUpperCase(),
    "0198c5a5-1111-6aaa-8bbb-123456789abc",
    "acme",
    "Acme",
    "acme-",
    "web_fetch",
    "plugin.tool_name",
    "user",
    "allow",
    "deny",
    "succeeded",
    "approved",
    "operator",
    "Operator",
    true,
    false,
    null,
    [],
    {}
  )
)

type Mutation = (sample: unknown, paths: ReadonlyArray<Path>) => unknown

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), replacement).map(
    ([i, v]): Mutation =>
      (s, paths) =>
        changeAt(s, paths[i % paths.length] as Path, () => v)
  ),
  fc.nat().map(
    (i): Mutation =>
      (s, paths) =>
        removeAt(s, paths[i % paths.length] as Path)
  ),
  fc.tuple(fc.nat(), fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })).map(
    ([i, key, v]): Mutation =>
      (s, paths) =>
        changeAt(s, paths[i % paths.length] as Path, (o) =>
          typeof o === "object" && o !== null && !Array.isArray(o) ? { ...o, [key]: v } : o
        )
  ),
  fc.nat().map(
    (i): Mutation =>
      (s, paths) =>
        changeAt(s, paths[i % paths.length] as Path, (o) =>
          typeof o === "object" && o !== null ? Object.assign(o, { [Symbol("extra")]: 1 }) : o
        )
  ),
  fc.tuple(fc.nat(), fc.constantFrom("😀", "x", "\u0000", "é")).map(
    ([i, unit]): Mutation =>
      (s, paths) =>
        changeAt(s, paths[i % paths.length] as Path, (v) =>
          typeof v === "string" ? (v.length % 2 === 0 ? v + unit : unit.repeat(Math.max(1, v.length))) : v
        )
  )
)

describe.each(Object.entries(publishedContracts))("the compiled check of %s", (name, schema) => {
  const fast = compileFastCheck(schema)
  const decoderAccepts = (value: unknown) =>
    Result.isSuccess(Schema.decodeUnknownResult(schema)(value, strict))
  const samples = samplesOf(schema, 80)

  it("is compiled (the contract holds nothing it cannot check exactly)", () => {
    expect(fast).toBeTypeOf("function")
  })

  it("is compiled from the published JSON Schema", () => {
    const published = JSON.parse(readFileSync(join(schemaDir, `${name}.json`), "utf8"))
    const { $schema: _schema, $id: _id, title: _title, ...rest } = published
    const { title: _ownTitle, ...compiled } = jsonSchemaOf(schema)
    expect(compiled).toEqual(rest)
  })

  it("accepts every valid sample, as the decoder does", () => {
    expect(samples.length).toBeGreaterThan(0)
    for (const sample of samples) {
      expect(decoderAccepts(sample)).toBe(true)
      expect(fast?.(sample)).toBe(true)
    }
  })

  it("answers as the decoder does on mutated samples", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (sample, changes) => {
          const mutated = changes.reduce((s, change) => change(s, pathsOf(s)), sample)
          // The check is for payloads that passed the JSON limits, as audit appends do first.
          fc.pre(Result.isSuccess(checkJsonValue(mutated, "test")))
          expect(fast?.(mutated)).toBe(decoderAccepts(mutated))
        }
      ),
      { numRuns: 1500 }
    )
  })
})

describe("audit entries of a known kind", () => {
  // A sample without lone surrogates, which have no canonical JSON and are refused before decoding.
  const decision = samplesOf(publishedContracts.PolicyDecisionTraceV1, 40).find((s) => {
    try {
      return canonicalJson(s).length > 0
    } catch {
      return false
    }
  }) as Record<string, unknown>
  const ci = decision.customerInstanceId as string

  it("are accepted through the compiled check", () => {
    expect(Result.isSuccess(prepareEntry("test", ci, { kind: "policy_decision", payload: decision }))).toBe(
      true
    )
  })

  it("are refused with the decoder's problems, each naming its path", () => {
    const refused = prepareEntry("test", ci, {
      kind: "policy_decision",
      payload: { ...decision, ts: "2026-02-30T00:00:00.000Z", extra: 1, rationale: "😀".repeat(2049) }
    })
    expect(Result.isFailure(refused)).toBe(true)
    const paths = Result.isFailure(refused) ? refused.failure.problems.map((p) => p.path) : []
    expect(paths).toEqual(
      expect.arrayContaining(["$.entry.payload.ts", "$.entry.payload.extra", "$.entry.payload.rationale"])
    )
  })
})

describe("Timestamp", () => {
  // The calendar check as it was written before (Date round trip), the oracle for the new one.
  const pattern =
    /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?Z$/u
  const viaDate = (s: string) => {
    const date = new Date(s.slice(0, 10))
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === s.slice(0, 10)
  }
  /** How many problems the decoder reports: one per failed check, as before. */
  const problems = (s: string) => {
    const decoded = Schema.decodeUnknownResult(Timestamp)(s, strict)
    return Result.isSuccess(decoded)
      ? 0
      : String(decoded.failure)
          .split("\n")
          .filter((l) => /^\S/u.test(l)).length
  }
  const expectedProblems = (s: string) => (pattern.test(s) ? 0 : 1) + (viaDate(s) ? 0 : 1)

  it("accepts exactly the real calendar days of every year 0000 to 9999 (month ends checked)", () => {
    const is = Schema.is(Timestamp)
    for (let year = 0; year <= 9999; year++) {
      for (let month = 1; month <= 12; month++) {
        for (const day of [1, 28, 29, 30, 31]) {
          const s = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}T12:00:00.000Z`
          if (is(s) !== viaDate(s)) expect.fail(`${s}: ${is(s)} but the calendar says ${viaDate(s)}`)
        }
      }
    }
  })

  it("reports the same problems as the Date round trip on any string", () => {
    const digits = (n: number) =>
      fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: n, maxLength: n })
    const shaped = fc
      .tuple(digits(4), digits(2), digits(2), fc.constantFrom("T00:00:00Z", "T23:59:59.123Z", "", "x"))
      .map(([y, m, d, rest]) => `${y}-${m}-${d}${rest}`)
    fc.assert(
      fc.property(fc.oneof(shaped, fc.string(), fc.string({ unit: "binary" })), (s) => {
        expect(problems(s)).toBe(expectedProblems(s))
      }),
      { numRuns: 3000 }
    )
  })
})
