// Re-signs the example plugin after its files change. The example's private key is never kept:
// this makes a fresh key pair, writes the PUBLIC key to keys/, signs plugin/bga-plugin.json with
// the private key, and lets the private key go out of scope. Real publishers keep theirs (see
// `bga plugin keygen`) in a secret store and sign in their release pipeline.
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { generateSigningKey, parsePrivateKey, signPackage } from "@bga/core/plugins"
import { Result } from "effect"

const here = dirname(fileURLToPath(import.meta.url))
const pluginDir = join(here, "..", "plugin")
const manifestPath = join(pluginDir, "bga-plugin.json")

const key = generateSigningKey()
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"))
manifest.publisher.keyId = key.keyId
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
const signed = Result.getOrThrow(
  signPackage(pluginDir, Result.getOrThrow(parsePrivateKey(key.privateKeyPem)), key.keyId)
)
writeFileSync(
  join(here, "..", "keys", "example-publisher.public.json"),
  `${JSON.stringify({ keyId: key.keyId, publicKey: key.publicKey }, null, 2)}\n`
)
console.log(
  `signed ${signed.name}@${signed.version} (${signed.checksum}) with ${key.keyId}; private key discarded`
)
// Keep the repository's formatting (the manifest is outside the checksum; the signature is over
// its canonical JSON, so reformatting it changes nothing that is signed).
execFileSync("pnpm", ["exec", "biome", "format", "--write", manifestPath, join(here, "..", "keys")], {
  stdio: "ignore"
})
