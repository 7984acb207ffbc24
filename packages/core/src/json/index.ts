/**
 * Bounded parsing of untrusted JSON: size, depth, string and collection limits, and no
 * `__proto__` keys. Everything from a network, a file, a plugin or a model passes through here.
 *
 * @module
 */
export { InvalidInputError, JsonProblem } from "./JsonError.js"
export { defaultJsonLimits, type JsonLimits } from "./limits.js"
export { formatPath, preview, valueAt } from "./path.js"
export { type FileReadFailure, readTextFile } from "./readFile.js"
export { checkJsonValue, parseJson } from "./safeJson.js"
