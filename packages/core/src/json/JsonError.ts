import { Schema } from "effect"

/** One problem found in an input, located by a JSON path such as `$.input.text`. */
export const JsonProblem = Schema.Struct({
  path: Schema.String,
  message: Schema.String
})
export type JsonProblem = typeof JsonProblem.Type

/**
 * Untrusted input that could not be accepted: too large, too deep, not JSON, carrying a
 * forbidden key, or not matching the expected contract. `problems` names every field at fault.
 */
export class InvalidInputError extends Schema.TaggedError<InvalidInputError>()(
  "@bga/core/InvalidInputError",
  {
    reason: Schema.Literals(["too-large", "too-deep", "malformed-json", "forbidden-key", "invalid"]),
    subject: Schema.String,
    problems: Schema.Array(JsonProblem)
  }
) {
  override get message(): string {
    const first = this.problems
      .slice(0, 5)
      .map((p) => `${p.path}: ${p.message}`)
      .join("; ")
    const more = this.problems.length > 5 ? ` (and ${this.problems.length - 5} more)` : ""
    return `invalid ${this.subject} (${this.reason}): ${first}${more}`
  }
}
