import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { FunctionUrlEvent, FunctionUrlResult, InvocationContext } from "../manager/lambda";

/**
 * A local stand-in for a Lambda function URL: an HTTP server that turns each request into the
 * function-URL event (payload format 2.0) of app/manager/lambda.ts, calls the bundle's
 * `handler`, and turns the result back into an HTTP response. The local runtime runs one per
 * staged version, each in its own process (functionHostProcess.ts) with that version's
 * environment, as Lambda runs each version in its own execution environment.
 */
export type FunctionHandler = (event: FunctionUrlEvent, context: InvocationContext) => Promise<FunctionUrlResult & { cookies?: readonly string[] }>;

export interface FunctionHostOptions {
  readonly handler: FunctionHandler;
  /** The version this host runs; reported in `x-healthmate-version` when the function does not. */
  readonly version: string;
  /** Request bodies above this are refused with 413, as a function URL does. @default 6 MiB */
  readonly maxBodyBytes?: number;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** Function URL payload limit (Lambda's synchronous invocation payload quota). */
export const FUNCTION_URL_MAX_BODY_BYTES = 6 * 1024 * 1024;
export const VERSION_HEADER = "x-healthmate-version";

export function createFunctionHostServer(options: FunctionHostOptions): Server {
  const maxBodyBytes = options.maxBodyBytes ?? FUNCTION_URL_MAX_BODY_BYTES;
  return createServer((request, response) => {
    void serve(request, response, options, maxBodyBytes);
  });
}

async function serve(request: IncomingMessage, response: ServerResponse, options: FunctionHostOptions, maxBodyBytes: number): Promise<void> {
  const requestId = randomUUID();
  try {
    const body = await readBody(request, maxBodyBytes);
    if (body === undefined) return sendPlain(response, 413, "Request Entity Too Large", options.version);
    const event = toFunctionUrlEvent(request, body, requestId);
    const result = await options.handler(event, { awsRequestId: requestId });
    writeFunctionUrlResult(response, result, options.version);
  } catch (error) {
    // What a function URL answers when the function throws.
    options.log?.("function invocation failed", { requestId, error: error instanceof Error ? error.message : String(error) });
    if (!response.headersSent) sendPlain(response, 502, "Internal Server Error", options.version);
    else response.destroy();
  }
}

/** Reads the body; undefined when it exceeds the limit. */
async function readBody(request: IncomingMessage, maxBodyBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const TEXTUAL = /^(text\/|application\/(json|.*\+json|javascript|x-www-form-urlencoded|xml))/i;

/** HTTP request → function URL event: lower-case headers joined by commas, cookies split out, binary bodies base64. */
export function toFunctionUrlEvent(request: IncomingMessage, body: Buffer, requestId: string): FunctionUrlEvent {
  const url = new URL(request.url ?? "/", "http://function.local");
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = (request.rawHeaders[i] as string).toLowerCase();
    const value = request.rawHeaders[i + 1] as string;
    if (name === "cookie") {
      cookies = [...(cookies ?? []), ...value.split(/;\s*/).filter(Boolean)];
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const contentType = headers["content-type"] ?? "";
  const textual = body.length === 0 || contentType === "" || TEXTUAL.test(contentType);
  const method = (request.method ?? "GET").toUpperCase();
  return {
    version: "2.0",
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ""),
    headers,
    cookies,
    body: body.length === 0 ? undefined : textual ? body.toString("utf8") : body.toString("base64"),
    isBase64Encoded: body.length > 0 && !textual,
    requestContext: {
      domainName: headers.host,
      requestId,
      http: { method, path: url.pathname },
    },
  };
}

/** Function URL result → HTTP response. */
export function writeFunctionUrlResult(response: ServerResponse, result: FunctionUrlResult & { cookies?: readonly string[] }, version: string): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers["set-cookie"] = [...result.cookies];
  headers[VERSION_HEADER] ??= version;
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8");
  headers["content-length"] = String(body.length);
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(body);
}

function sendPlain(response: ServerResponse, status: number, message: string, version: string): void {
  response.writeHead(status, { "content-type": "application/json", [VERSION_HEADER]: version });
  response.end(JSON.stringify({ message }));
}
