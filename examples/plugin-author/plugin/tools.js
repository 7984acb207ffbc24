// @ts-check
/**
 * The tools' logic as plain functions: easy to test on their own, and free of any host API.
 */

/**
 * A greeting in the requested style.
 * @param {{ readonly name: string, readonly style?: "plain" | "excited" }} args
 * @returns {string}
 */
export const greet = (args) => {
  const name = args.name.trim() || "stranger"
  return args.style === "excited" ? `Hello, ${name}!` : `Hello, ${name}.`
}

/**
 * The kv key of note number `n` (zero-padded so keys list in order).
 * @param {number} n
 * @returns {string}
 */
export const noteKey = (n) => `note/${String(n).padStart(6, "0")}`
