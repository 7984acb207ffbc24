/**
 * Plugin governance: strict manifest v2 parsing, package checksums, ed25519 signatures, a
 * trusted keyring with revocation, the `signed` and `curated` trust modes, verified atomic
 * installs from a folder, a tarball or npm, and a runtime that gives a plugin only the
 * capabilities its signed manifest grants, in-process or isolated.
 *
 * @module
 */
export * from "./api.js"
export * from "./authoring.js"
export * from "./capabilities.js"
export * from "./catalog.js"
export * from "./checksum.js"
export * from "./governance.js"
export {
  type LoadedPlugin,
  type LoadOptions,
  layer,
  make,
  PluginHost,
  type PluginHostOptions,
  type PluginHostShape,
  type PluginTool
} from "./host.js"
export * from "./install.js"
export { defaultPackageLimits, type PackageLimits } from "./internal/scan.js"
export * from "./keyring.js"
export * from "./manifest.js"
export * from "./PluginError.js"
export * from "./permissions.js"
export { detectSandboxLauncher, type SandboxLauncher } from "./runtime/launcher.js"
export { defaultRuntimeOptions, type RuntimeOptions, type ToolCallOptions } from "./runtime/types.js"
export * from "./signing.js"
export { toolsOf } from "./tools.js"
export * from "./trust.js"
export * from "./verify.js"
