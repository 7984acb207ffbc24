import { runConformance } from "@bga/core/testing"
import { StorageMemory } from "@bga/storage-memory"

runConformance("memory", () => StorageMemory.layer)
