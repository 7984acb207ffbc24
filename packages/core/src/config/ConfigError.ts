import { Schema } from "effect"
import { JsonProblem } from "../json/JsonError.js"

/** Configuration that could not be loaded; `problems` name each bad key, its value and what was expected. */
export class ConfigError extends Schema.TaggedError<ConfigError>()("@bga/core/ConfigError", {
  reason: Schema.Literals(["not-found", "unreadable", "invalid", "missing-secret"]),
  source: Schema.String,
  problems: Schema.Array(JsonProblem)
}) {
  override get message(): string {
    const lines = this.problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")
    return `configuration ${this.source} is ${this.reason === "invalid" ? "invalid" : this.reason}:\n${lines}`
  }
}
