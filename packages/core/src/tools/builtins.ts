import type { BgaConfig } from "../config/schema.js"
import { type WebFetchArgs, webFetchOutput, webFetchRequest, webFetchTool } from "../egress/webFetch.js"
import { type ExecToolArgs, execTool } from "../sandbox/execTool.js"
import { defineTool, type ToolDefinition } from "./ToolDefinition.js"

/**
 * `web_fetch` as a runtime tool: fetches through the handler's egress guard (allowlisted hosts
 * only) and returns readable text marked as untrusted content.
 */
export const webFetch = (): ToolDefinition<WebFetchArgs> =>
  defineTool<WebFetchArgs>({
    name: webFetchTool.name,
    description: webFetchTool.description,
    parameters: webFetchTool.parameters as Readonly<Record<string, unknown>>,
    groups: webFetchTool.groups,
    riskClass: "read",
    idempotent: true,
    timeoutMs: 60_000,
    maxOutputBytes: 256 * 1024,
    handler: async (args, context) => webFetchOutput(args.url, await context.fetch(webFetchRequest(args)))
  })

/**
 * `exec` as a runtime tool (risk class `exec`). The runtime routes it into a sandbox lane; its
 * handler refuses to run without one, so no path leads to a host process.
 */
export const exec = (config: BgaConfig): ToolDefinition<ExecToolArgs> =>
  defineTool<ExecToolArgs>({
    name: execTool.name,
    description: execTool.description,
    parameters: execTool.args,
    groups: ["group:runtime"],
    riskClass: "exec",
    idempotent: false,
    timeoutMs: 600_000,
    maxOutputBytes: 1024 * 1024,
    handler: async (args, context) => {
      const sandbox = context.sandbox
      if (config.tools.riskyExecution !== "sandbox_only" || sandbox === undefined) {
        throw new Error("exec runs only in a sandbox lane and none was provided; it never runs on the host")
      }
      const command = typeof args.command === "string" ? ["/bin/sh", "-c", args.command] : args.command
      return sandbox.exec({
        command,
        ...(args.stdin === undefined ? {} : { stdin: args.stdin }),
        ...(args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs })
      })
    }
  })
