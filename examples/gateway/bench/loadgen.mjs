// Drives POST requests at a URL with autocannon (loopback only) and measures every response:
// used by the load test and by `pnpm bench:gateway`. Each request can carry its own body
// (e.g. a unique idempotency key), and the bodies of 2xx answers can be collected.
import autocannon from "autocannon"

const percentile = (sorted, p) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]

/**
 * @param {{
 *   url: string, headers?: Record<string, string>, body?: (i: number) => string,
 *   seconds: number, connections: number, onBody?: (body: Buffer) => void, warmupSeconds?: number
 * }} options
 */
export const drive = async (options) => {
  const { hostname } = new URL(options.url)
  if (!["127.0.0.1", "localhost", "[::1]", "::1"].includes(hostname)) {
    throw new Error(`load is only driven at loopback addresses, not ${hostname}`)
  }
  let counter = 0
  const run = (seconds, record) =>
    new Promise((resolve, reject) => {
      const times = []
      const instance = autocannon(
        {
          url: options.url,
          connections: options.connections,
          duration: seconds,
          timeout: 30,
          requests: [
            {
              method: "POST",
              headers: { "content-type": "application/json", ...options.headers },
              setupRequest: (request) => ({ ...request, body: options.body ? options.body(counter++) : "{}" })
            }
          ],
          setupClient: (client) => {
            if (record && options.onBody) {
              client.on("body", (body) => options.onBody(body))
            }
          }
        },
        (error, result) => (error ? reject(error) : resolve({ result, times }))
      )
      instance.on("response", (_client, _status, _bytes, responseTime) => {
        if (record) times.push(responseTime)
      })
    })
  if (options.warmupSeconds) await run(options.warmupSeconds, false)
  const { result, times } = await run(options.seconds, true)
  times.sort((a, b) => a - b)
  const ok = Object.entries(result.statusCodeStats ?? {})
    .filter(([code]) => code.startsWith("2"))
    .reduce((sum, [, stats]) => sum + Number(stats.count), 0)
  return {
    seconds: result.duration,
    connections: options.connections,
    requests: times.length,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    rps: Math.round((times.length / result.duration) * 10) / 10,
    p50Ms: Math.round(percentile(times, 50) * 100) / 100,
    p95Ms: Math.round(percentile(times, 95) * 100) / 100,
    p99Ms: Math.round(percentile(times, 99) * 100) / 100,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, Number(s.count)])
    )
  }
}
