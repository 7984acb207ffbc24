// The RPC protocol between the host and an isolated plugin process: one JSON object per line,
// calls and results in both directions. This file imports nothing: the isolated process can
// read only its own folder and this one, so it must stand alone.

/** One protocol message. */
export type RpcMessage =
  | { readonly t: "call"; readonly id: number; readonly method: string; readonly params: unknown }
  | { readonly t: "result"; readonly id: number; readonly ok: true; readonly value: unknown }
  | {
      readonly t: "result"
      readonly id: number
      readonly ok: false
      readonly error: { readonly code: string; readonly message: string }
    }
  | { readonly t: "event"; readonly subscriptionId: number; readonly payload: unknown }
  | { readonly t: "cancel"; readonly id: number }
  | { readonly t: "log"; readonly message: string }

interface Pending {
  readonly resolve: (value: unknown) => void
  readonly reject: (error: Error) => void
  readonly timer: ReturnType<typeof setTimeout> | undefined
}

/** Error shape carried by a failed result; `code` survives the wire. */
export type MakeError = (code: string, message: string) => Error

/**
 * One end of the connection: sends calls and matches results, and answers the other side's
 * calls with `handle`. Notifications (events, cancels, logs) go to `notify`.
 */
export class RpcPeer {
  #next = 1
  readonly #pending = new Map<number, Pending>()
  #closed: Error | undefined

  constructor(
    readonly send: (message: RpcMessage) => void,
    readonly handle: (method: string, params: unknown, id: number) => Promise<unknown>,
    readonly notify: (message: RpcMessage) => void,
    readonly makeError: MakeError
  ) {}

  /** Calls a method on the other side; rejects on error, timeout or when the connection closes. */
  call(method: string, params: unknown, timeoutMs?: number): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closed)
    const id = this.#next++
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.#pending.delete(id)
              this.notifyCancel(id)
              reject(this.makeError("timeout", `${method} did not answer within ${timeoutMs} ms`))
            }, timeoutMs)
      this.#pending.set(id, { resolve, reject, timer })
      try {
        this.send({ t: "call", id, method, params })
      } catch (error) {
        this.#settle(id)
        reject(error as Error)
      }
    })
  }

  /** Tells the other side a call was given up (best effort). */
  notifyCancel(id: number): void {
    try {
      this.send({ t: "cancel", id })
    } catch {}
  }

  /** Number of calls waiting for an answer. */
  get pending(): number {
    return this.#pending.size
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id)
    if (pending === undefined) return undefined
    this.#pending.delete(id)
    if (pending.timer !== undefined) clearTimeout(pending.timer)
    return pending
  }

  /** Handles one message received from the other side. */
  receive(message: RpcMessage): void {
    switch (message.t) {
      case "call": {
        const { id } = message
        this.handle(message.method, message.params, id).then(
          (value) => this.#reply({ t: "result", id, ok: true, value: value === undefined ? null : value }),
          (error: unknown) => {
            const e = error as { code?: unknown; message?: unknown }
            this.#reply({
              t: "result",
              id,
              ok: false,
              error: {
                code: typeof e?.code === "string" ? e.code : "failed",
                message: typeof e?.message === "string" ? e.message : String(error)
              }
            })
          }
        )
        return
      }
      case "result": {
        const pending = this.#settle(message.id)
        if (pending === undefined) return
        if (message.ok) pending.resolve(message.value)
        else pending.reject(this.makeError(message.error.code, message.error.message))
        return
      }
      default:
        this.notify(message)
    }
  }

  #reply(message: RpcMessage): void {
    if (this.#closed) return
    try {
      this.send(message)
    } catch {}
  }

  /** Rejects every waiting call and refuses new ones. */
  close(error: Error): void {
    this.#closed = error
    for (const id of [...this.#pending.keys()]) this.#settle(id)?.reject(error)
  }
}

/**
 * Splits a byte stream into lines, refusing any line longer than `maxBytes` (a process that
 * sends one is broken or hostile). Returns the function to feed chunks into.
 */
export const lineSplitter = (
  maxBytes: number,
  onLine: (line: string) => void,
  onOverflow: () => void
): ((chunk: Uint8Array) => void) => {
  let parts: Array<Uint8Array> = []
  let size = 0
  let overflowed = false
  return (chunk) => {
    if (overflowed) return
    let start = 0
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== 10) continue
      const piece = chunk.subarray(start, i)
      size += piece.length
      if (size > maxBytes) {
        overflowed = true
        onOverflow()
        return
      }
      parts.push(piece)
      const line = Buffer.concat(parts).toString("utf8")
      parts = []
      size = 0
      start = i + 1
      onLine(line)
    }
    const rest = chunk.subarray(start)
    size += rest.length
    if (size > maxBytes) {
      overflowed = true
      onOverflow()
      return
    }
    if (rest.length > 0) parts.push(rest)
  }
}
