import canonicalize from "canonicalize"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { canonicalJson } from "../src/hash.js"

// `canonicalJson` is hand-written for speed; the `canonicalize` library (RFC 8785 reference
// behaviour, and what BGA used before) is the oracle. Both must write the same bytes for every
// value, and refuse the same values with the same error.

type Outcome = { readonly text: string } | { readonly error: string }

const run = (serialize: (value: unknown) => string | undefined, value: unknown): Outcome => {
  try {
    const text = serialize(value)
    // The library answers undefined where canonicalJson throws; both mean "no JSON form".
    return text === undefined ? { error: "TypeError: value has no JSON representation" } : { text }
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` }
  }
}

const expectSameAsOracle = (value: unknown) => {
  expect(run(canonicalJson, value)).toEqual(run(canonicalize, value))
}

/** Any UTF-16 code unit, lone surrogates included (which RFC 8785 refuses). */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))
/** Text that stresses escaping: controls, quotes, backslashes, astral characters, surrogates. */
const awkwardText = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: codeUnit }),
  fc.string({
    unit: fc.constantFrom(
      '"',
      "\\",
      "\n",
      "\u0000",
      "\u001f",
      "\u007f",
      "\u2028",
      "€",
      "😀",
      "\ud800",
      "\udc00"
    )
  })
)
/** Integers, fractions, the extremes and -0; NaN and infinities are refused. */
const anyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.double({ min: -1e-300, max: 1e-300 }),
  fc.constantFrom(
    0,
    -0,
    1e21,
    1e-7,
    123456789012345680000,
    0.000001,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    Number.EPSILON,
    333333333.3333333,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY
  )
)

/** JSON-like values with awkward keys, strings and numbers. */
const jsonLike = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    anyNumber,
    awkwardText,
    tie("array"),
    tie("object")
  ),
  array: fc.array(tie("value"), { maxLength: 6 }),
  object: fc.dictionary(fc.oneof(fc.string(), awkwardText), tie("value"), { maxKeys: 6 })
})).value

/** Values JSON.stringify treats specially: no JSON form, toJSON, boxed primitives, bigints. */
const oddLeaf = fc.oneof(
  fc.constant(undefined),
  fc.constant(() => 1),
  fc.constant(Symbol("s")),
  fc.bigInt(),
  fc.date({ noInvalidDate: true }),
  fc.constant(new Date(Number.NaN)),
  anyNumber.map((n) => new Number(n)),
  awkwardText.map((s) => new String(s)),
  fc.boolean().map((b) => new Boolean(b)),
  jsonLike.map((inner) => ({ toJSON: () => inner })),
  fc.constant({ toJSON: () => undefined }),
  fc.constant({ toJSON: () => ({ toJSON: () => "twice" }) })
)
const withOddities = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, jsonLike, oddLeaf, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 5 }),
  object: fc.dictionary(awkwardText, tie("value"), { maxKeys: 5 })
})).value

describe("canonicalJson agrees byte for byte with the canonicalize library", () => {
  it("on random JSON values: unicode, escapes, big, small and negative-zero numbers", () => {
    fc.assert(
      fc.property(jsonLike, (value) => {
        expectSameAsOracle(value)
      }),
      { numRuns: 3000 }
    )
  })

  it("on fast-check's own JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        expectSameAsOracle(value)
      }),
      { numRuns: 1000 }
    )
  })

  it("on values without a JSON form, toJSON, boxed primitives and bigints, and refuses the same", () => {
    fc.assert(
      fc.property(withOddities, (value) => {
        expectSameAsOracle(value)
      }),
      { numRuns: 3000 }
    )
  })

  it("orders keys by UTF-16 code units, so an astral character sorts before U+FB33", () => {
    const value = { "\u{1F600}": 1, "\uFB33": 2, a: 3, A: 4, "": 5, é: 6, aa: 7 }
    expect(canonicalJson(value)).toBe('{"":5,"A":4,"a":3,"aa":7,"\u00e9":6,"\u{1F600}":1,"\uFB33":2}')
    expectSameAsOracle(value)
  })

  it("sorts many keys the same way (the built-in sort above a few dozen keys)", () => {
    fc.assert(
      fc.property(fc.dictionary(awkwardText, fc.integer(), { minKeys: 20, maxKeys: 80 }), (value) => {
        expectSameAsOracle(value)
      }),
      { numRuns: 200 }
    )
  })

  it("writes the numbers of RFC 8785 appendix B as the RFC does", () => {
    const vectors: ReadonlyArray<readonly [string, string]> = [
      ["0000000000000000", "0"],
      ["8000000000000000", "0"],
      ["0000000000000001", "5e-324"],
      ["8000000000000001", "-5e-324"],
      ["7fefffffffffffff", "1.7976931348623157e+308"],
      ["ffefffffffffffff", "-1.7976931348623157e+308"],
      ["4340000000000000", "9007199254740992"],
      ["c340000000000000", "-9007199254740992"],
      ["4430000000000000", "295147905179352830000"],
      ["44b52d02c7e14af5", "9.999999999999997e+22"],
      ["44b52d02c7e14af6", "1e+23"],
      ["44b52d02c7e14af7", "1.0000000000000001e+23"],
      ["444b1ae4d6e2ef4e", "999999999999999700000"],
      ["444b1ae4d6e2ef4f", "999999999999999900000"],
      ["444b1ae4d6e2ef50", "1e+21"],
      ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
      ["3eb0c6f7a0b5ed8d", "0.000001"],
      ["41b3de4355555553", "333333333.3333332"],
      ["41b3de4355555554", "333333333.33333325"],
      ["41b3de4355555555", "333333333.3333333"],
      ["41b3de4355555556", "333333333.3333334"],
      ["41b3de4355555557", "333333333.33333343"],
      ["becbf647612f3696", "-0.0000033333333333333333"],
      ["43143ff3c1cb0959", "1424953923781206.2"]
    ]
    for (const [bits, text] of vectors) {
      const number = Buffer.from(bits, "hex").readDoubleBE(0)
      expect(canonicalJson(number)).toBe(text)
      expect(canonicalJson([number])).toBe(`[${text}]`)
    }
  })

  it("refuses lone surrogates in strings and in keys, but not well-formed pairs", () => {
    expect(() => canonicalJson("\ud800")).toThrow("Lone surrogate is not allowed")
    expect(() => canonicalJson({ "\udc00": 1 })).toThrow("Lone surrogate is not allowed")
    expect(canonicalJson("\ud83d\ude00")).toBe('"😀"')
    // A member with no JSON form is left out before its key is looked at, as in the library.
    expect(canonicalJson({ "\ud800": undefined })).toBe("{}")
  })

  it("refuses NaN, infinities, bigints and values with no JSON form", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow("NaN is not allowed")
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow("Infinity is not allowed")
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError)
    expect(() => canonicalJson(undefined)).toThrow(TypeError)
    expect(() => canonicalJson(() => 1)).toThrow(TypeError)
    for (const value of [Number.NaN, [Number.NEGATIVE_INFINITY], { a: 1n }, undefined, Symbol("x")]) {
      expectSameAsOracle(value)
    }
  })

  it("refuses cycles, also through toJSON, and accepts shared (acyclic) references", () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = { back: cyclic }
    expect(() => canonicalJson(cyclic)).toThrow("Circular reference detected")
    const viaToJSON: Record<string, unknown> = {}
    viaToJSON.toJSON = () => ({ again: viaToJSON })
    expectSameAsOracle(viaToJSON)
    const shared = { x: [1] }
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":[1]},"b":{"x":[1]}}')
  })

  it("serializes nesting far deeper than its fast path, as the library does", () => {
    for (const depth of [150, 199, 200, 201, 250, 5000]) {
      let nested: unknown = { leaf: [1, "x"] }
      for (let i = 0; i < depth; i++) nested = i % 2 === 0 ? [nested, i] : { [`k${i}`]: nested }
      expectSameAsOracle(nested)
    }
  })
})
