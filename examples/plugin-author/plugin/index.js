// @ts-check
import { greet, noteKey } from "./tools.js"

/** @typedef {import("@bga/core/plugins").PluginModule} PluginModule */

/**
 * The plugin: registers `greet` (no capability besides tools.register) and `save_note` /
 * `list_notes` (kv.read and kv.write, scoped by the host to this plugin and customer).
 * It imports nothing from @bga/core at run time: an isolated plugin can read only its own folder.
 * @type {PluginModule}
 */
const plugin = {
  async activate(ctx) {
    await ctx.tools.register({
      name: "greet",
      parameters: {
        type: "object",
        properties: { name: { type: "string" }, style: { enum: ["plain", "excited"] } },
        required: ["name"]
      },
      handler: (args) => greet(/** @type {{ name: string, style?: "plain" | "excited" }} */ (args))
    })
    await ctx.tools.register({
      name: "save_note",
      parameters: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
      handler: async (args) => {
        const { text } = /** @type {{ text: string }} */ (args)
        const count = /** @type {number | undefined} */ (await ctx.kv.get("count")) ?? 0
        await ctx.kv.set(noteKey(count), text)
        await ctx.kv.set("count", count + 1)
        return { saved: count + 1 }
      }
    })
    await ctx.tools.register({
      name: "list_notes",
      parameters: { type: "object", properties: {} },
      handler: async () => {
        const keys = await ctx.kv.list("note/")
        return Promise.all(keys.map(async (key) => /** @type {string} */ (await ctx.kv.get(key))))
      }
    })
  }
}

export default plugin
