import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { invokedQualifier, originAllowed, originGuardFromEnv, originSecretValid } from "../../modules/release/origin-guard";
import { Header } from "../../modules/release/router/contract";
import { JsonLineAuditSink } from "../common/audit";
import { createAccessTokenVerifier } from "../common/auth/verifier";
import { jsonLogger } from "../common/log";
import { managerConfigFromEnv } from "./config";
import type { ManagerDeps } from "./deps";
import { createMcpHttpHandler, MCP_PATH, protectedResourceMetadata, RESOURCE_METADATA_PATH } from "./http/handler";
import { documentClient } from "./store/client";

/**
 * The manager on AWS Lambda behind a function URL (payload format 2.0), serving the same routes
 * as the local express app (app/manager/http/express.ts): `/mcp`, the protected-resource
 * metadata, `/healthz`. Configuration is read once per execution environment; per-request state
 * lives only in the request (ARCHITECTURE §1: no per-request module globals).
 *
 * The function URL has auth NONE: every MCP request is authenticated here by the Cognito access
 * token (signature, issuer, token_use, client_id, scope, expiry) before any tool runs. The blue and
 * green URLs sit behind CloudFront: with HEALTHMATE_ORIGIN_SECRET set, a request through any alias
 * but the open ones (`live`) must carry CloudFront's origin-secret header, else 403
 * (modules/release/origin-guard.ts). Every response names the version that served it.
 */

/** Lambda function URL request (payload format 2.0), the fields used here. */
export interface FunctionUrlEvent {
  readonly version?: string;
  readonly rawPath: string;
  readonly rawQueryString?: string;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly cookies?: readonly string[];
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext: {
    readonly domainName?: string;
    readonly requestId?: string;
    readonly http: { readonly method: string; readonly path?: string };
  };
}

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

/** The part of the Lambda context used here. */
export interface InvocationContext {
  readonly awsRequestId: string;
  /** Carries the alias the request came through (`…:function:<name>:<alias>`). */
  readonly invokedFunctionArn?: string;
}

const config = managerConfigFromEnv(process.env);
const log = jsonLogger("healthmate-manager");
const deps: ManagerDeps = {
  db: documentClient(new DynamoDBClient({})),
  tables: config.tables,
  audit: new JsonLineAuditSink(),
  log,
};
const originGuard = originGuardFromEnv(process.env);
// The published version number ("7"), or "$LATEST".
const functionVersion = process.env.AWS_LAMBDA_FUNCTION_VERSION;
const verifier = createAccessTokenVerifier({ issuer: config.issuer, jwksUrl: config.jwksUrl, allowedClientIds: config.allowedClientIds });

/** A host[:port] as a Host header carries it (name, IPv4 or [IPv6]); nothing that could bend a URL. */
const HOST_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The public base URL the manager advertises (protected-resource metadata, 401 challenges).
 * HEALTHMATE_PUBLIC_BASE_URL wins. Then the viewer's host the edge forwarded (x-forwarded-host,
 * https unless the local edge says http): behind CloudFront the Host is the colour function URL,
 * which refuses direct clients. toRequest keeps x-forwarded-* only on requests with a valid
 * origin secret. Otherwise the request's own host: function URLs are HTTPS only.
 */
function baseUrl(request: Request): string {
  if (config.publicBaseUrl) return config.publicBaseUrl.replace(/\/$/, "");
  const host = firstValue(request.headers.get(Header.ForwardedHost));
  if (host && HOST_VALUE.test(host)) {
    const scheme = firstValue(request.headers.get(Header.ForwardedProto)) === "http" ? "http" : "https";
    return `${scheme}://${host}`;
  }
  return `https://${new URL(request.url).host}`;
}

/** The first of a comma-joined header's values (function URLs join repeated headers). */
function firstValue(value: string | null): string | undefined {
  return value?.split(",")[0]?.trim() || undefined;
}

const mcp = createMcpHttpHandler({
  deps,
  verifier,
  resourceMetadataUrl: (request) => `${baseUrl(request)}${RESOURCE_METADATA_PATH}${MCP_PATH}`,
});

export async function handler(event: FunctionUrlEvent, context: InvocationContext): Promise<FunctionUrlResult> {
  const requestId = context.awsRequestId || event.requestContext.requestId || "unknown";
  const qualifier = invokedQualifier(context.invokedFunctionArn);
  let result: FunctionUrlResult;
  if (originAllowed(originGuard, event.headers, qualifier)) {
    // Only a request that came through the edge (the origin secret) may name its public host.
    result = await route(event, requestId, originSecretValid(originGuard, event.headers));
  } else {
    log.warn("refused: no valid origin secret", { requestId, qualifier });
    result = json(403, { error: "forbidden", message: "This endpoint is served only through the Healthmate edge (CloudFront); use the site URL or the live MCP endpoint." }, requestId);
  }
  return functionVersion ? { ...result, headers: { ...result.headers, [Header.Version]: functionVersion } } : result;
}

async function route(event: FunctionUrlEvent, requestId: string, viaEdge: boolean): Promise<FunctionUrlResult> {
  const method = event.requestContext.http.method.toUpperCase();
  const path = event.rawPath || "/";
  try {
    if (path === MCP_PATH) return await toResult(await mcp(toRequest(event, viaEdge), { requestId, body: bodyText(event) }), requestId);
    if (method === "GET" && (path === RESOURCE_METADATA_PATH || path === `${RESOURCE_METADATA_PATH}${MCP_PATH}`)) {
      const request = toRequest(event, viaEdge);
      return json(200, protectedResourceMetadata(`${baseUrl(request)}${MCP_PATH}`, config.issuer), requestId);
    }
    if (method === "GET" && path === "/healthz") return json(200, { status: "ok" }, requestId);
    return json(404, { error: "not_found", message: `No route for ${method} ${path}; the MCP endpoint is POST ${MCP_PATH}.` }, requestId);
  } catch (error) {
    log.error("request failed", { requestId, path, error: error instanceof Error ? error.message : String(error) });
    return json(500, { error: "internal_error", message: "The request failed; retry later.", requestId }, requestId);
  }
}

/**
 * Function URL event → body-less Web Request (method, URL, headers); the body travels beside it
 * as text (McpRequestOptions.body), which avoids building a Web stream per call. The edge's
 * x-forwarded-host and x-forwarded-proto are kept only when `viaEdge` (a valid origin secret).
 */
export function toRequest(event: FunctionUrlEvent, viaEdge = false): Request {
  const dropped = new Set<string>([Header.OriginSecret]);
  if (!viaEdge) {
    dropped.add(Header.ForwardedHost);
    dropped.add(Header.ForwardedProto);
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    // The origin secret stops here: nothing behind the entry point needs (or could leak) it.
    if (value !== undefined && !dropped.has(name.toLowerCase())) headers.set(name, value);
  }
  if (event.cookies?.length) headers.set("cookie", event.cookies.join("; "));
  const host = headers.get("host") ?? event.requestContext.domainName ?? "localhost";
  const query = event.rawQueryString ? `?${event.rawQueryString}` : "";
  return new Request(`https://${host}${event.rawPath || "/"}${query}`, { method: event.requestContext.http.method.toUpperCase(), headers });
}

/** The request body as text; function URLs base64-encode bodies they do not consider text. */
export function bodyText(event: FunctionUrlEvent): string {
  if (event.body === undefined) return "";
  return event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
}

/** Web Response → function URL result (text body; binary bodies as base64). */
async function toResult(response: Response, requestId: string): Promise<FunctionUrlResult> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  headers["x-request-id"] = requestId;
  const contentType = response.headers.get("content-type") ?? "";
  const bytes = Buffer.from(await response.arrayBuffer());
  const textual = contentType === "" || /^(text\/|application\/(json|.*\+json|javascript))/i.test(contentType);
  return textual
    ? { statusCode: response.status, headers, body: bytes.toString("utf8"), isBase64Encoded: false }
    : { statusCode: response.status, headers, body: bytes.toString("base64"), isBase64Encoded: true };
}

function json(statusCode: number, body: unknown, requestId: string): FunctionUrlResult {
  return { statusCode, headers: { "content-type": "application/json", "x-request-id": requestId }, body: JSON.stringify(body), isBase64Encoded: false };
}
