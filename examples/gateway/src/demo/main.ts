#!/usr/bin/env node
// `npm run demo`: the gateway on 127.0.0.1 with SQLite and the scripted demo agent, a one-time
// API key, and a run that waits for your approval. Runs until Ctrl-C; with --once (or
// BGA_DEMO_ONCE=1) it checks that everything answers and exits (the CI test uses this).
import { parseArgs } from "node:util"
import { runDemo } from "./demo.js"

const { values } = parseArgs({
  options: {
    once: { type: "boolean", default: process.env.BGA_DEMO_ONCE === "1" },
    port: { type: "string", default: process.env.BGA_DEMO_PORT ?? "8787" },
    dir: { type: "string", default: process.env.BGA_DEMO_DIR ?? ".data/demo" },
    keep: { type: "boolean", default: false }
  }
})
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port ${values.port}: expected a port number`)
  process.exit(2)
}

const demo = await runDemo({ port, dir: values.dir, keep: values.keep, out: (line) => console.log(line) })
if (values.once) {
  const ok = await demo.check()
  await demo.host.stop()
  console.log(ok ? "demo check: ok" : "demo check: FAILED")
  process.exit(ok ? 0 : 1)
}
let stopping = false
const stop = () => {
  if (stopping) process.exit(130)
  stopping = true
  console.log("\nstopping the demo gateway…")
  demo.host.stop().then(
    () => process.exit(0),
    () => process.exit(1)
  )
}
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
