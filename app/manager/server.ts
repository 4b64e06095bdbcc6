import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { v7 as uuidv7 } from "uuid";
import { z } from "zod";
import type { AuditOutcome } from "../common/audit";
import { isHealthmateError } from "../common/errors";
import type { ManagerDeps, ToolContext } from "./deps";
import { SCOPE_FOR_ACCESS, type ToolDefinition } from "./tools/define";
import { ALL_TOOLS } from "./tools/index";

export const SERVER_INFO = { name: "healthmate-manager", version: "0.1.0" } as const;

const INSTRUCTIONS =
  "HealthManager keeps one person's health data: profile, goals, policies, concerns, daily activities, " +
  "body measurements, journal and observations. The person is always the signed-in user; no tool takes a user id. " +
  "Dates are YYYY-MM-DD in the user's time zone; list tools return nextCursor when more pages exist.";

interface CompiledTool {
  readonly definition: ToolDefinition;
  readonly inputSchema: z.ZodObject;
  readonly outputSchema: z.ZodObject;
  readonly listing: Tool;
}

/**
 * Compiles the tool catalogue once per process: zod objects and their JSON Schemas. A server is
 * created per request (stateless transport), so per-request work must stay small.
 */
export function compileTools(tools: readonly ToolDefinition[]): ReadonlyMap<string, CompiledTool> {
  const compiled = new Map<string, CompiledTool>();
  for (const definition of tools) {
    if (compiled.has(definition.name)) throw new Error(`duplicate tool name ${definition.name}`);
    const allowed = Object.keys(definition.input);
    const inputSchema = z.strictObject(definition.input, {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `unknown argument${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((key) => `'${key}'`).join(", ")}: ${definition.name} accepts ${
              allowed.length ? allowed.join(", ") : "no arguments"
            }${issue.keys.includes("userId") ? ". The user is always the signed-in user, never an argument" : ""}`
          : undefined,
    });
    const outputSchema = z.object(definition.output);
    compiled.set(definition.name, {
      definition,
      inputSchema,
      outputSchema,
      listing: {
        name: definition.name,
        title: definition.title,
        description: definition.description,
        inputSchema: toJsonSchema(inputSchema, "input") as Tool["inputSchema"],
        outputSchema: toJsonSchema(outputSchema, "output") as Tool["outputSchema"],
        annotations: { title: definition.title, ...definition.annotations, openWorldHint: false },
      },
    });
  }
  return compiled;
}

function toJsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return jsonSchema;
}

let catalogue: ReadonlyMap<string, CompiledTool> | undefined;
function defaultCatalogue(): ReadonlyMap<string, CompiledTool> {
  catalogue ??= compileTools(ALL_TOOLS);
  return catalogue;
}

/** The verified caller, as the HTTP layer puts it into MCP's AuthInfo. */
export interface CallerInfo {
  readonly sub: string;
  readonly scopes: readonly string[];
  readonly requestId: string;
}

/**
 * createServer(deps): an MCP server with every HealthManager tool. It knows nothing of HTTP or
 * Lambda; the caller's identity arrives per request as MCP `authInfo` (set by the transport
 * from the verified token).
 */
// Building an Ajv instance costs more than the rest of a request; one per process is enough
// (the SDK uses it only to validate elicitation answers).
let sharedValidator: AjvJsonSchemaValidator | undefined;

export function createServer(deps: ManagerDeps, tools: ReadonlyMap<string, CompiledTool> = defaultCatalogue()): Server {
  sharedValidator ??= new AjvJsonSchemaValidator();
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    instructions: INSTRUCTIONS,
    jsonSchemaValidator: sharedValidator,
  });
  const listing = [...tools.values()].map((tool) => tool.listing);
  const now = deps.clock ?? (() => new Date());
  const newId = deps.newId ?? (() => uuidv7());

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: listing }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const started = performance.now();
    const caller = extra.authInfo?.extra?.caller as CallerInfo | undefined;
    const requestId = caller?.requestId ?? String(extra.requestId);
    const toolName = request.params.name;
    let outcome: AuditOutcome = "ok";
    try {
      const tool = tools.get(toolName);
      if (!tool) {
        outcome = "invalid_input";
        return errorResult(`Unknown tool '${toolName}'. Call tools/list for the available tools.`);
      }
      if (!caller) {
        outcome = "forbidden";
        return errorResult("This server needs a signed-in user: send an OAuth access token as a Bearer Authorization header.");
      }
      const scope = SCOPE_FOR_ACCESS[tool.definition.access];
      if (!caller.scopes.includes(scope)) {
        outcome = "forbidden";
        return errorResult(`${toolName} needs the '${scope}' scope; sign in again granting it.`);
      }
      const parsed = tool.inputSchema.safeParse(request.params.arguments ?? {});
      if (!parsed.success) {
        outcome = "invalid_input";
        return errorResult(`Invalid arguments for ${toolName}: ${formatIssues(parsed.error)}`);
      }
      const context: ToolContext = { db: deps.db, tables: deps.tables, log: deps.log, now, newId, userId: caller.sub, requestId };
      const raw = await tool.definition.handler(parsed.data, context);
      const structured = tool.outputSchema.parse(raw);
      return { content: [{ type: "text", text: JSON.stringify(structured) }], structuredContent: structured };
    } catch (error) {
      if (isHealthmateError(error)) {
        outcome = error.code;
        return errorResult(error.message);
      }
      outcome = "error";
      deps.log.error("tool failed", { tool: toolName, requestId, error: error instanceof Error ? error.message : String(error) });
      return errorResult(`Internal error while running ${toolName} (request id ${requestId}). Retry later; if it persists, report the request id.`);
    } finally {
      deps.audit.write({
        time: now().toISOString(),
        type: "audit",
        service: "manager",
        sub: caller?.sub ?? "anonymous",
        tool: toolName,
        outcome,
        requestId,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      });
    }
  });
  return server;
}

function errorResult(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

/** "field: message; other.field: message" — the path tells the caller which argument to fix. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}
