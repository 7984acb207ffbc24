import { Orchestrator } from "@bga/core"
import type { OrchestratorLayer } from "./host.js"

/**
 * The run orchestrator the host runs: core's orchestrator service over the host's storage,
 * tool runtime and model, recovering the runs of `customerInstances` at startup.
 *
 * The service (`Orchestrator.layer`) is being added to `@bga/core`; until a build has it, the
 * host still compiles against the port and this fails at startup with the reason.
 */
export const defaultOrchestrator = (
  options: { readonly customerInstances?: ReadonlyArray<string> } = {}
): OrchestratorLayer => {
  const service = Orchestrator as unknown as {
    readonly layer?: (options: { readonly customerInstances?: ReadonlyArray<string> }) => OrchestratorLayer
  }
  if (typeof service.layer !== "function") {
    throw new Error(
      "this build of @bga/core has the Orchestrator port but not the orchestrator service (Orchestrator.layer); the gateway cannot run runs without it"
    )
  }
  return service.layer(
    options.customerInstances === undefined ? {} : { customerInstances: options.customerInstances }
  )
}
