import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { randomUUID } from "node:crypto";
import { Scope } from "../../common/auth/scopes";
import { TokenVerificationError, type AccessTokenVerifier } from "../../common/auth/verifier";
import type { ManagerDeps } from "../deps";
import { createServer, type CallerInfo } from "../server";
import { SCOPE_FOR_ACCESS } from "../tools/define";
import { ALL_TOOLS } from "../tools/index";

/**
 * The MCP endpoint as a Web-standard `Request → Response` function, so express (locally) and the
 * Lambda handler (on AWS) run exactly the same code. Stateless Streamable HTTP with JSON
 * responses: a fresh server + transport per request, no session state in the process.
 *
 * Authorization follows the MCP authorization spec (RFC 9728 + RFC 6750): no or bad token → 401
 * with `WWW-Authenticate` naming the protected-resource metadata; a token without the scope a
 * tool needs → 403 `insufficient_scope` before any tool runs.
 */
export interface McpHttpHandlerProps {
  readonly deps: ManagerDeps;
  readonly verifier: AccessTokenVerifier;
  /** Public URL of `/.well-known/oauth-protected-resource` for this endpoint. */
  readonly resourceMetadataUrl: (request: Request) => string;
  /** @default 1 MiB */
  readonly maxBodyBytes?: number;
}

/** Routes shared by every adapter (express locally, the Lambda function URL on AWS). */
export const MCP_PATH = "/mcp";
export const RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource";

const TOOL_SCOPE = new Map(ALL_TOOLS.map((tool) => [tool.name, SCOPE_FOR_ACCESS[tool.access]]));
/** Any MCP request needs at least one health scope; tools/call then needs the tool's own. */
const BASE_SCOPES: readonly string[] = [Scope.HealthRead, Scope.HealthWrite];

export interface McpRequestOptions {
  /** Correlates the audit records and logs of this request. @default - a random UUID */
  readonly requestId?: string;
  /**
   * The body, when the adapter already holds it as text. Adapters pass it with a body-less
   * Request: building Web streams for a body costs more than the rest of a call on Node 20.
   * @default - read from `request`
   */
  readonly body?: string;
}

export type McpHttpHandler = (request: Request, options?: McpRequestOptions) => Promise<Response>;

export function createMcpHttpHandler(props: McpHttpHandlerProps): McpHttpHandler {
  const maxBodyBytes = props.maxBodyBytes ?? 1024 * 1024;

  return async (request, options = {}) => {
    const requestId = options.requestId ?? randomUUID();
    const metadataUrl = props.resourceMetadataUrl(request);
    if (request.method !== "POST") {
      // Stateless server: no standalone SSE stream (GET) and no sessions to end (DELETE).
      return jsonRpcError(405, -32000, "Method not allowed: this MCP endpoint is stateless; send JSON-RPC requests with POST.", { Allow: "POST" });
    }

    const authorization = request.headers.get("authorization") ?? "";
    const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(authorization.trim());
    if (!match) {
      return unauthorized(metadataUrl, undefined, "Send an OAuth access token: Authorization: Bearer <token>.");
    }
    let verified;
    try {
      verified = await props.verifier.verify(match[1] as string);
    } catch (error) {
      const reason = error instanceof TokenVerificationError ? error.message : "the token could not be verified";
      return unauthorized(metadataUrl, "invalid_token", reason);
    }

    const text = options.body ?? (await request.text());
    if (Buffer.byteLength(text) > maxBodyBytes) {
      return jsonRpcError(413, -32600, `Request body too large: at most ${maxBodyBytes} bytes.`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return jsonRpcError(400, -32700, "Parse error: the body must be a JSON-RPC message.");
    }

    const missing = missingScope(body, verified.scopes);
    if (missing) return insufficientScope(metadataUrl, missing);

    const caller: CallerInfo = { sub: verified.sub, scopes: verified.scopes, requestId };
    const authInfo: AuthInfo = {
      token: verified.token,
      clientId: verified.clientId,
      scopes: [...verified.scopes],
      expiresAt: verified.expiresAt,
      extra: { caller },
    };
    const server = createServer(props.deps);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    try {
      await server.connect(transport);
      const response = await transport.handleRequest(request, { parsedBody: body, authInfo });
      response.headers.set("x-request-id", requestId);
      return response;
    } finally {
      await server.close();
    }
  };
}

function missingScope(body: unknown, scopes: readonly string[]): string | undefined {
  if (!BASE_SCOPES.some((scope) => scopes.includes(scope))) return Scope.HealthRead;
  const messages = Array.isArray(body) ? body : [body];
  for (const message of messages) {
    if (typeof message !== "object" || message === null) continue;
    const { method, params } = message as { method?: unknown; params?: { name?: unknown } };
    if (method !== "tools/call" || typeof params?.name !== "string") continue;
    const needed = TOOL_SCOPE.get(params.name);
    if (needed && !scopes.includes(needed)) return needed;
  }
  return undefined;
}

function quote(value: string): string {
  return value.replace(/["\\]/g, "");
}

function unauthorized(metadataUrl: string, error: string | undefined, description: string): Response {
  const challenge = [`Bearer resource_metadata="${metadataUrl}"`];
  if (error) challenge.push(`error="${error}"`, `error_description="${quote(description)}"`);
  return jsonRpcError(401, -32001, `Unauthorized: ${description}`, { "WWW-Authenticate": challenge.join(", ") });
}

function insufficientScope(metadataUrl: string, scope: string): Response {
  const description = `this call needs the '${scope}' scope`;
  return jsonRpcError(403, -32001, `Forbidden: ${description}; sign in again granting it.`, {
    "WWW-Authenticate": `Bearer error="insufficient_scope", scope="${scope}", resource_metadata="${metadataUrl}", error_description="${description}"`,
  });
}

function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** RFC 9728 protected-resource metadata for the MCP endpoint. */
export function protectedResourceMetadata(resource: string, authorizationServer: string): Record<string, unknown> {
  return {
    resource,
    authorization_servers: [authorizationServer],
    scopes_supported: [Scope.HealthRead, Scope.HealthWrite],
    bearer_methods_supported: ["header"],
    resource_name: "Healthmate HealthManager",
  };
}
