import type { Readable } from "node:stream"

/** A body read up to a cap: the bytes, or the point where the cap was passed. */
export type CappedBody =
  | { readonly ok: true; readonly body: Uint8Array; readonly bytes: number }
  | { readonly ok: false; readonly body: Uint8Array; readonly bytes: number; readonly seen: number }

/**
 * Reads a response body but never holds more than `cap` bytes: the stream is destroyed (and its
 * connection dropped) as soon as the next chunk would pass the cap. On overflow the first `cap`
 * bytes are returned for callers that accept a cut body; `seen` counts the bytes received.
 */
export const readCapped = async (stream: Readable, cap: number): Promise<CappedBody> => {
  const chunks: Array<Uint8Array> = []
  let bytes = 0
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    if (bytes + chunk.byteLength > cap) {
      stream.destroy()
      chunks.push(chunk.subarray(0, cap - bytes))
      return { ok: false, body: Buffer.concat(chunks, cap), bytes: cap, seen: bytes + chunk.byteLength }
    }
    chunks.push(chunk)
    bytes += chunk.byteLength
  }
  const body = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, bytes)
  return { ok: true, body, bytes }
}

/** Reads and discards a body (a redirect's), counting at most `cap` bytes before dropping it. */
export const discardCapped = async (stream: Readable, cap: number): Promise<number> => {
  let bytes = 0
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength
    if (bytes > cap) {
      stream.destroy()
      break
    }
  }
  return bytes
}
