#!/usr/bin/env node
// `pnpm start` in examples/gateway: the gateway with the configuration file named by
// BGA_CONFIG (or bga.config.json when present) and the model module named by BGA_MODEL.
// `bga gateway start` does the same with flags.
import { existsSync } from "node:fs"
import { loadModelModule } from "./model.js"
import { startFromConfig, stopOnSignals } from "./run.js"

const configPath = process.env.BGA_CONFIG ?? (existsSync("bga.config.json") ? "bga.config.json" : undefined)
const modelModule = process.env.BGA_MODEL
if (modelModule === undefined) {
  console.error(
    "set BGA_MODEL to a module whose default export is an AI SDK language model or a BGA ModelPort"
  )
  process.exit(2)
}
const host = await startFromConfig({
  ...(configPath === undefined ? {} : { configPath }),
  model: await loadModelModule(modelModule)
})
console.log(`BGA gateway listening on ${host.url} (admin UI: ${host.url}/admin/)`)
stopOnSignals(host)
