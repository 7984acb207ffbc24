import { runConformance } from "@bga/core/testing"
import { describe } from "vitest"
import { pgReachable, schemaLayer, skipReason } from "./helpers.js"

describe.skipIf(!pgReachable)(`postgres${skipReason}`, () => {
  runConformance("postgres", () => schemaLayer())
})
