import { runConformance } from "@bga/core/testing"
import { StorageSqlite } from "@bga/storage-sqlite"
import { tempDbPath } from "./helpers.js"

runConformance("sqlite", () => StorageSqlite.layer({ path: tempDbPath() }))
