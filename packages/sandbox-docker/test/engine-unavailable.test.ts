import { openSandbox, SandboxError } from "@bga/core/sandbox"
import { describe, expect, it } from "vitest"
import { layer } from "../src/DockerSandbox.js"

describe("without an engine", () => {
  it("the driver refuses to start with a typed error naming the socket", async () => {
    const error = await openSandbox(
      layer({ image: "bga-sandbox:1", socketPath: "/nonexistent/docker.sock" })
    ).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(SandboxError)
    expect(error).toMatchObject({ reason: "engine-unavailable" })
    expect((error as SandboxError).message).toContain("/nonexistent/docker.sock")
  })

  it("bad options are refused before any connection", async () => {
    const error = await openSandbox(layer({ image: "bga-sandbox:1", user: "root" })).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toMatchObject({ _tag: "@bga/core/SandboxError", reason: "invalid-request" })
  })
})
