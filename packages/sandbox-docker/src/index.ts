/**
 * `@bga/sandbox-docker`: the `SandboxDriver` of `@bga/core` on a Docker engine. Each lane is a
 * hardened container (no network, read-only root, no capabilities, non-root, pids/memory/CPU
 * limits) owned by one customer instance; commands run in it through the Engine API and never on
 * the host.
 *
 * @example
 * ```ts
 * import { Sandbox } from "@bga/core"
 * import { DockerSandbox } from "@bga/sandbox-docker"
 * import { Effect } from "effect"
 *
 * const program = Sandbox.withLane({ customerInstanceId: "acme" }, (lane, driver) =>
 *   driver.exec(lane, { command: ["sh", "-c", "echo hello"], timeoutMs: 5_000 })
 * )
 * Effect.runPromise(program.pipe(Effect.provide(DockerSandbox.layer({ image: "bga-sandbox:1" }))))
 * ```
 *
 * @module
 */
export * as DockerSandbox from "./DockerSandbox.js"
export { type DockerSandboxEvent, type DockerSandboxOptions, defaultSocketPath } from "./internal/options.js"
export type { OrphanPolicy } from "./internal/orphans.js"
