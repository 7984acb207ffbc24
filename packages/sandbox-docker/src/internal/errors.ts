import { isSandboxError, SandboxError } from "@bga/core/sandbox"
import { EngineError } from "./engine.js"

/** Maps whatever went wrong to the typed error of the port. */
export const toSandboxError = (error: unknown, laneId?: string): SandboxError => {
  if (isSandboxError(error)) return error as SandboxError
  const lane = laneId === undefined ? {} : { laneId }
  if (error instanceof EngineError) {
    if (error.kind === "unavailable")
      return new SandboxError({ reason: "engine-unavailable", detail: error.message, ...lane })
    if (error.status === 404 && /no such image/iu.test(error.message))
      return new SandboxError({ reason: "image-missing", detail: error.message, ...lane })
    return new SandboxError({ reason: "engine-error", detail: error.message, ...lane, cause: error })
  }
  if (error instanceof Error && error.name === "AbortError")
    return new SandboxError({ reason: "cancelled", detail: "the operation was cancelled", ...lane })
  return new SandboxError({
    reason: "engine-error",
    detail: error instanceof Error ? error.message : String(error),
    ...lane,
    cause: error
  })
}
