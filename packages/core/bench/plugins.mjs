// Plugin governance benchmark (run with `pnpm bench:plugins`; BENCH_QUICK=1 for a short run).
// 1. verify throughput for a typical plugin: strict manifest parse + package checksum +
//    ed25519 signature + trust rules, the full check every install and every load does;
// 2. capability call round trip from an isolated plugin (RPC over stdio into the host) against
//    the same call from an in-process plugin, and the same for a host -> plugin tool call.
// The last line printed is one JSON object with the figures and ratios.
import { randomBytes } from "node:crypto"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Result } from "effect"
import {
  computeChecksum,
  detectSandboxLauncher,
  generateSigningKey,
  make,
  makeMemoryRecorder,
  parsePrivateKey,
  readManifestFile,
  signCatalog,
  signPackage,
  trustPolicyFromConfig,
  verifyPackage
} from "../dist/plugins/index.js"

const quick = process.env.BENCH_QUICK === "1"
const work = mkdtempSync(join(tmpdir(), "bga-bench-plugins-"))
const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

/** Runs `fn` repeatedly for about `ms` (at least `min` times); returns mean milliseconds per run. */
const timeIt = async (fn, { ms, min = 5 }) => {
  await fn()
  let runs = 0
  const start = performance.now()
  while (runs < min || performance.now() - start < ms) {
    await fn()
    runs++
  }
  return { mean: (performance.now() - start) / runs, runs }
}

try {
  // A typical plugin: 40 source files of 1 to 20 KiB (about 400 KiB), a package.json, a manifest.
  const key = generateSigningKey()
  const privateKey = Result.getOrThrow(parsePrivateKey(key.privateKeyPem))
  const dir = join(work, "typical")
  mkdirSync(join(dir, "lib"), { recursive: true })
  for (let i = 0; i < 40; i++) {
    const size = 1024 + ((i * 7919) % 20) * 1024
    writeFileSync(
      join(dir, "lib", `module-${i}.js`),
      `// ${randomBytes(size / 2).toString("hex")}`.slice(0, size)
    )
  }
  const entry = `
export default {
  async activate(ctx) {
    await ctx.tools.register({ name: "noop", handler: async () => null })
    await ctx.tools.register({
      name: "kv_loop",
      handler: async ({ n }) => {
        const start = performance.now()
        for (let i = 0; i < n; i++) await ctx.kv.get("k")
        return (performance.now() - start) / n
      }
    })
  }
}
`
  writeFileSync(join(dir, "index.mjs"), entry)
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "bench-plugin", version: "1.0.0", type: "module" })
  )
  writeFileSync(
    join(dir, "bga-plugin.json"),
    JSON.stringify({
      manifestVersion: 2,
      name: "bench-plugin",
      version: "1.0.0",
      publisher: { name: "Bench", keyId: key.keyId },
      entry: "index.mjs",
      permissions: ["tools.register", "kv.read"],
      tools: [
        { name: "noop", description: "does nothing" },
        { name: "kv_loop", description: "reads kv n times" }
      ],
      checksum: `sha256:${"0".repeat(64)}`,
      sdkVersion: "^0.1.0"
    })
  )
  const manifest = Result.getOrThrow(signPackage(dir, privateKey, key.keyId))
  const trusted = { keyId: key.keyId, publicKey: key.publicKey }
  const signedPolicy = Result.getOrThrow(
    trustPolicyFromConfig({ trustMode: "signed", trustedKeys: [trusted], revokedKeyIds: [] })
  )

  const verifyMs = quick ? 1_500 : 5_000
  const full = await timeIt(() => Result.getOrThrow(verifyPackage(dir, signedPolicy)), { ms: verifyMs })
  const covered = Result.getOrThrow(computeChecksum(dir, "bench"))
  const checksumOnly = await timeIt(() => Result.getOrThrow(computeChecksum(dir, "bench")), {
    ms: verifyMs / 3
  })
  const manifestOnly = await timeIt(() => Result.getOrThrow(readManifestFile(dir, "bench")), {
    ms: verifyMs / 3
  })
  console.log(
    `typical plugin: ${covered.files} files covered by the checksum, ${Math.round(covered.bytes / 1024)} KiB`
  )
  console.log(
    `verify (parse + checksum + signature + trust): ${round(full.mean, 3)} ms, ${Math.round(1000 / full.mean)} verifies/s (${full.runs} runs)`
  )
  console.log(
    `  of which checksum: ${round(checksumOnly.mean, 3)} ms; strict manifest read+parse: ${round(manifestOnly.mean, 3)} ms`
  )

  // Capability round trips: the same plugin, in-process (curated first-party) and isolated.
  const catalogKey = generateSigningKey()
  const catalogText = JSON.stringify(
    Result.getOrThrow(
      signCatalog(
        {
          catalogVersion: 1,
          entries: [
            {
              name: "bench-plugin",
              version: "1.0.0",
              checksum: manifest.checksum,
              permissions: manifest.permissions,
              isolation: "in-process"
            }
          ]
        },
        Result.getOrThrow(parsePrivateKey(catalogKey.privateKeyPem)),
        catalogKey.keyId
      )
    )
  )
  const curatedPolicy = Result.getOrThrow(
    trustPolicyFromConfig(
      {
        trustMode: "curated",
        trustedKeys: [trusted],
        revokedKeyIds: [],
        catalog: {
          path: "catalog.json",
          signingKeys: [{ keyId: catalogKey.keyId, publicKey: catalogKey.publicKey }]
        }
      },
      { readFile: () => catalogText }
    )
  )
  const providers = {
    kv: { get: async () => 1, list: async () => [], set: async () => {}, delete: async () => false }
  }
  const host = make({
    policy: curatedPolicy,
    installDir: join(work, "installed"),
    recorder: makeMemoryRecorder(),
    providers
  })
  await Effect.runPromise(host.install({ kind: "directory", path: dir }))

  const calls = quick ? 2_000 : 20_000
  const invokes = quick ? 500 : 5_000
  const measure = async (isolation) => {
    const plugin = await Effect.runPromise(host.load("bench-plugin@1.0.0", { isolation }))
    try {
      await Effect.runPromise(plugin.invokeTool("kv_loop", { n: 200 })) // warm-up
      const perCallMs = await Effect.runPromise(plugin.invokeTool("kv_loop", { n: calls }))
      const invoke = await timeIt(() => Effect.runPromise(plugin.invokeTool("noop", {})), {
        ms: 0,
        min: invokes
      })
      return { capabilityUs: perCallMs * 1000, invokeUs: invoke.mean * 1000 }
    } finally {
      await Effect.runPromise(plugin.close)
    }
  }
  const inProcess = await measure("in-process")
  const launcher = await detectSandboxLauncher()
  const isolated = "unavailable" in launcher ? undefined : await measure("isolated")
  console.log(
    `in-process: capability call ${round(inProcess.capabilityUs, 2)} us, tool invoke ${round(inProcess.invokeUs, 2)} us`
  )
  if (isolated) {
    console.log(
      `isolated (${launcher.description}): capability round trip ${round(isolated.capabilityUs, 2)} us (x${round(isolated.capabilityUs / inProcess.capabilityUs)}), tool invoke ${round(isolated.invokeUs, 2)} us (x${round(isolated.invokeUs / inProcess.invokeUs)})`
    )
  } else {
    console.log(`isolated: not measured (${launcher.unavailable})`)
  }
  console.log(
    JSON.stringify({
      bench: "plugins",
      quick,
      files: covered.files,
      kib: Math.round(covered.bytes / 1024),
      verify_ms: round(full.mean, 3),
      verifies_per_s: Math.round(1000 / full.mean),
      checksum_ms: round(checksumOnly.mean, 3),
      manifest_parse_ms: round(manifestOnly.mean, 3),
      inprocess_capability_us: round(inProcess.capabilityUs, 2),
      isolated_capability_rtt_us: isolated ? round(isolated.capabilityUs, 2) : null,
      ratio_isolated_vs_inprocess_capability: isolated
        ? round(isolated.capabilityUs / inProcess.capabilityUs)
        : null,
      inprocess_tool_invoke_us: round(inProcess.invokeUs, 2),
      isolated_tool_invoke_us: isolated ? round(isolated.invokeUs, 2) : null,
      ratio_isolated_vs_inprocess_tool_invoke: isolated ? round(isolated.invokeUs / inProcess.invokeUs) : null
    })
  )
} finally {
  rmSync(work, { recursive: true, force: true })
}
