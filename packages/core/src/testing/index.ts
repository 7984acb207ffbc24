/**
 * Test support for BGA and for adapters built on it: the conformance suites every port
 * implementation runs, and the scripted model for deterministic runs.
 *
 * @module
 */
export * as ScriptedModel from "./ScriptedModel.js"
