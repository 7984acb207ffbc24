// Quickstart: load the B2B defaults, decode an untrusted run request, and show the typed error
// a bad request gets. Later steps of the SDK (policy, tools, the orchestrator) extend this file.
import { Config, Contracts, hashOf, newId } from "@bga/core"
import { Result } from "effect"

const config = Config.defaultConfig()
console.log("B2B defaults:", JSON.stringify({ deployment: config.deployment, tools: config.tools }))

const body = JSON.stringify({
  version: 2,
  runId: newId(),
  customerInstanceId: "acme",
  environment: "production",
  actor: { kind: "user", id: "u-42", roles: ["operator"] },
  input: { text: "Summarise yesterday's tickets" },
  idempotencyKey: "ticket-digest-2026-11-24"
})
const decode = Contracts.decodeJson(Contracts.RunRequestV2, "RunRequestV2")

const ok = decode(body)
if (Result.isSuccess(ok)) {
  console.log(
    `accepted run ${ok.success.runId} for ${ok.success.customerInstanceId}; request hash ${hashOf(ok.success)}`
  )
}

const bad = decode(JSON.stringify({ version: 2, customerInstanceId: "ACME!", actor: { kind: "robot" } }))
if (Result.isFailure(bad)) console.log(`rejected: ${bad.failure.message}`)
