// Runs the load driver in its own process (so the server under test keeps its event loop to
// itself) and prints the figures as one JSON line. Argument: the options of `drive` as JSON,
// with `bodyKind` naming how each request body is made.
import { drive } from "./loadgen.mjs"

const options = JSON.parse(process.argv[2] ?? "{}")
const bodies = {
  runsCreate: (i) =>
    JSON.stringify({ input: { text: `bench ${i}` }, idempotencyKey: `bench-${process.pid}-${i}` })
}
const result = await drive({ ...options, body: bodies[options.bodyKind] ?? bodies.runsCreate })
process.stdout.write(`${JSON.stringify(result)}\n`)
