import type { IncomingMessage } from "node:http"
import { Gateway } from "@bga/core"

/** A request body read within its limit, or the error to answer with. */
export type BodyResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly error: Gateway.GatewayError }

const tooLarge = (max: number) =>
  new Gateway.GatewayError({
    code: "payload_too_large",
    detail: `the body exceeds the limit of ${max} bytes`
  })

const decoder = new TextDecoder("utf-8", { fatal: true })

/**
 * Reads a body of at most `max` bytes. A declared `content-length` over the limit is refused
 * before anything is read; a body that grows past it is refused as soon as it does (the caller
 * closes the connection, so the rest is never buffered). Text that is not UTF-8 is malformed.
 */
export const readBody = (request: IncomingMessage, max: number): Promise<BodyResult> =>
  new Promise((resolve) => {
    const declared = Number(request.headers["content-length"] ?? Number.NaN)
    if (Number.isFinite(declared) && declared > max) {
      resolve({ ok: false, error: tooLarge(max) })
      return
    }
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    const finish = (result: BodyResult) => {
      if (done) return
      done = true
      request.off("data", onData)
      request.off("end", onEnd)
      request.off("error", onError)
      resolve(result)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        request.pause()
        finish({ ok: false, error: tooLarge(max) })
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      try {
        finish({ ok: true, text: decoder.decode(Buffer.concat(chunks, size)) })
      } catch {
        finish({
          ok: false,
          error: new Gateway.GatewayError({ code: "malformed_json", detail: "the body is not UTF-8 text" })
        })
      }
    }
    const onError = () =>
      finish({
        ok: false,
        error: new Gateway.GatewayError({ code: "malformed_json", detail: "the body was cut off" })
      })
    request.on("data", onData)
    request.on("end", onEnd)
    request.on("error", onError)
  })

/** True for `application/json` with an optional charset of UTF-8. */
export const isJsonContentType = (header: string | undefined): boolean => {
  if (header === undefined) return false
  const [type, ...params] = header.split(";").map((part) => part.trim().toLowerCase())
  if (type !== "application/json") return false
  return params.every((p) => !p.startsWith("charset=") || p === "charset=utf-8" || p === 'charset="utf-8"')
}
