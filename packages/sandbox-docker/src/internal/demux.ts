/**
 * The engine multiplexes an exec's stdout and stderr on one connection: each frame is an 8-byte
 * header (stream type, three zero bytes, big-endian payload length) followed by the payload.
 * Frames arrive split and merged arbitrarily across socket chunks, so the parser keeps state.
 */
export type StreamKind = "stdout" | "stderr"

/** A frame header that no engine sends: the stream is not what we think it is. */
export class FrameError extends Error {
  override readonly name = "FrameError"
}

const headerSize = 8

/** Streaming parser of the engine's multiplexed stream format. */
export class FrameDemuxer {
  private readonly header = new Uint8Array(headerSize)
  private headerFill = 0
  private remaining = 0
  private kind: StreamKind | undefined

  constructor(private readonly emit: (kind: StreamKind, data: Uint8Array) => void) {}

  /** Feeds one chunk as it came off the socket; emits every complete or partial payload in it. */
  push(chunk: Uint8Array): void {
    let offset = 0
    while (offset < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(headerSize - this.headerFill, chunk.length - offset)
        this.header.set(chunk.subarray(offset, offset + take), this.headerFill)
        this.headerFill += take
        offset += take
        if (this.headerFill < headerSize) return
        this.headerFill = 0
        this.kind = this.kindOf(this.header[0] ?? 0)
        this.remaining =
          (((this.header[4] ?? 0) << 24) >>> 0) +
          ((this.header[5] ?? 0) << 16) +
          ((this.header[6] ?? 0) << 8) +
          (this.header[7] ?? 0)
        continue
      }
      const take = Math.min(this.remaining, chunk.length - offset)
      this.emit(this.kind ?? "stdout", chunk.subarray(offset, offset + take))
      this.remaining -= take
      offset += take
    }
  }

  /** True when the stream stopped in the middle of a frame. */
  get partial(): boolean {
    return this.headerFill !== 0 || this.remaining !== 0
  }

  private kindOf(type: number): StreamKind {
    // 0 is stdin echoed on stdout; 3 is the engine's own error text, reported with stderr.
    if (type === 0 || type === 1) return "stdout"
    if (type === 2 || type === 3) return "stderr"
    throw new FrameError(`unknown stream type ${type} in exec output`)
  }
}

/**
 * Keeps at most `limit` bytes of an exec's combined output while counting everything, so a
 * command printing without end costs bounded memory and the cut is reported.
 */
export class OutputCollector {
  private readonly kept: Record<StreamKind, Array<Uint8Array>> = { stdout: [], stderr: [] }
  private keptBytes = 0
  readonly seen: Record<StreamKind, number> = { stdout: 0, stderr: 0 }
  truncated = false

  constructor(
    private readonly limit: number,
    private readonly forward?: (kind: StreamKind, data: Uint8Array) => void
  ) {}

  add(kind: StreamKind, data: Uint8Array): void {
    this.seen[kind] += data.length
    const room = this.limit - this.keptBytes
    if (room <= 0) {
      if (data.length > 0) this.truncated = true
      return
    }
    // Copy: the chunk is a view into a socket buffer that is reused.
    const piece = data.length > room ? data.slice(0, room) : data.slice()
    if (piece.length < data.length) this.truncated = true
    this.kept[kind].push(piece)
    this.keptBytes += piece.length
    this.forward?.(kind, piece)
  }

  /** The kept output of one stream as text (a multi-byte character cut by the limit becomes U+FFFD). */
  text(kind: StreamKind): string {
    return Buffer.concat(this.kept[kind]).toString("utf8")
  }
}
