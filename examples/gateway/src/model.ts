import { resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { Model } from "@bga/core"

const isModelPort = (value: unknown): value is Model.ModelPortShape =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { generate?: unknown }).generate === "function" &&
  typeof (value as { name?: unknown }).name === "string"

/**
 * Loads the model a gateway runs with from a module: its default export is a BGA `ModelPort`
 * or an AI SDK language model (`openai("gpt-5")`, `anthropic(...)`, an OpenAI-compatible local
 * server...), which is adapted with `AiSdkModel`.
 */
export const loadModelModule = async (
  specifier: string,
  cwd = process.cwd()
): Promise<Model.ModelPortShape> => {
  const url =
    specifier.startsWith(".") || specifier.startsWith("/")
      ? pathToFileURL(resolve(cwd, specifier)).href
      : specifier
  const module = (await import(url)) as { default?: unknown }
  const value = module.default
  if (isModelPort(value)) return value
  return Model.AiSdkModel.make(value as Model.AiSdkModel.LanguageModel)
}
