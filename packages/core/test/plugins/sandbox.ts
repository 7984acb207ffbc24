import { detectSandboxLauncher } from "../../src/plugins/index.js"

/**
 * Whether isolated plugins can run here. Locally a missing sandbox skips the isolated tests
 * with the reason printed; with BGA_TEST_REQUIRE set (CI) it fails them instead.
 */
export const sandbox = await (async () => {
  const launcher = await detectSandboxLauncher()
  if ("unavailable" in launcher) {
    if (process.env.BGA_TEST_REQUIRE) {
      throw new Error(
        `isolated plugin tests need a sandbox (BGA_TEST_REQUIRE is set): ${launcher.unavailable}`
      )
    }
    console.warn(`SKIPPING isolated plugin tests: ${launcher.unavailable}`)
    return { available: false, description: launcher.unavailable }
  }
  return { available: true, description: launcher.description }
})()
