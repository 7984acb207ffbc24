import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { FrameDemuxer, FrameError, OutputCollector, type StreamKind } from "../src/internal/demux.js"

const frame = (type: number, payload: Uint8Array): Uint8Array => {
  const out = new Uint8Array(8 + payload.length)
  out[0] = type
  new DataView(out.buffer).setUint32(4, payload.length)
  out.set(payload, 8)
  return out
}

const concat = (parts: ReadonlyArray<Uint8Array>) => new Uint8Array(Buffer.concat(parts))

/** Splits bytes at the given cut points, as a socket might deliver them. */
const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Array<Uint8Array> = []
  let last = 0
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(last, point))
    last = point
  }
  return chunks
}

const collect = (chunks: ReadonlyArray<Uint8Array>) => {
  const out: Record<StreamKind, Array<Uint8Array>> = { stdout: [], stderr: [] }
  const demux = new FrameDemuxer((kind, data) => out[kind].push(data.slice()))
  for (const chunk of chunks) demux.push(chunk)
  return { stdout: concat(out.stdout), stderr: concat(out.stderr), partial: demux.partial }
}

describe("the exec stream demultiplexer", () => {
  it("gives the same streams however the frames are cut into chunks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(1, 2), fc.uint8Array({ maxLength: 64 })), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (frames, cuts) => {
          const wire = concat(frames.map(([type, payload]) => frame(type, payload)))
          const expected = {
            stdout: concat(frames.filter(([t]) => t === 1).map(([, p]) => p)),
            stderr: concat(frames.filter(([t]) => t === 2).map(([, p]) => p)),
            partial: false
          }
          expect(collect(splitAt(wire, cuts))).toEqual(expected)
        }
      )
    )
  })

  it("knows when the stream stopped inside a frame", () => {
    const wire = frame(1, new TextEncoder().encode("hello"))
    expect(collect([wire.subarray(0, 10)]).partial).toBe(true)
    expect(collect([wire.subarray(0, 3)]).partial).toBe(true)
  })

  it("refuses a stream type no engine sends", () => {
    expect(() => collect([frame(9, new Uint8Array([1]))])).toThrow(FrameError)
  })

  it("reads a payload longer than 2^31 bytes from its header without a sign error", () => {
    const header = new Uint8Array([1, 0, 0, 0, 0x80, 0, 0, 1])
    const seen: Array<number> = []
    const demux = new FrameDemuxer((_, data) => seen.push(data.length))
    demux.push(concat([header, new Uint8Array(10)]))
    expect(seen).toEqual([10])
    expect(demux.partial).toBe(true)
  })
})

describe("the output collector", () => {
  it("keeps at most the limit across both streams, counts everything and flags the cut", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom<StreamKind>("stdout", "stderr"), fc.uint8Array({ maxLength: 50 }))),
        fc.nat({ max: 200 }),
        (pieces, limit) => {
          const forwarded: Array<number> = []
          const collector = new OutputCollector(limit, (_, data) => forwarded.push(data.length))
          for (const [kind, data] of pieces) collector.add(kind, data)
          const total = pieces.reduce((sum, [, data]) => sum + data.length, 0)
          expect(forwarded.reduce((a, b) => a + b, 0)).toBe(Math.min(total, limit))
          expect(collector.seen.stdout + collector.seen.stderr).toBe(total)
          expect(collector.truncated).toBe(total > limit)
        }
      )
    )
  })

  it("keeps text intact below the limit", () => {
    const collector = new OutputCollector(100)
    collector.add("stdout", new TextEncoder().encode("héllo "))
    collector.add("stderr", new TextEncoder().encode("warn"))
    collector.add("stdout", new TextEncoder().encode("wörld"))
    expect(collector.text("stdout")).toBe("héllo wörld")
    expect(collector.text("stderr")).toBe("warn")
    expect(collector.truncated).toBe(false)
  })
})
