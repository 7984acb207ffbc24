/**
 * Settles with `run()` or rejects as soon as `signal` fires, whichever comes first. A provider
 * that ignores its AbortSignal still cannot hold a cancelled run: its late answer is dropped.
 */
export const abortable = <A>(signal: AbortSignal, run: () => PromiseLike<A>): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => reject(signal.reason)
    signal.addEventListener("abort", onAbort, { once: true })
    const settle = () => signal.removeEventListener("abort", onAbort)
    Promise.resolve()
      .then(run)
      .then(
        (value) => {
          settle()
          resolve(value)
        },
        (error: unknown) => {
          settle()
          reject(error)
        }
      )
  })

/** Waits `ms` milliseconds unless `signal` fires first (then rejects with its reason). */
export const abortableDelay = (signal: AbortSignal, ms: number): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort)
      resolve()
    }, ms)
    signal.addEventListener("abort", onAbort, { once: true })
  })

/** One signal that fires when the request's or the fiber's signal does. */
export const combineSignals = (fiber: AbortSignal, request: AbortSignal | undefined): AbortSignal =>
  request === undefined ? fiber : AbortSignal.any([fiber, request])
