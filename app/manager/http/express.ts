import express, { type Express, type Request as ExpressRequest, type Response as ExpressResponse } from "express";
import { randomUUID } from "node:crypto";
import type { AccessTokenVerifier } from "../../common/auth/verifier";
import type { ManagerDeps } from "../deps";
import { createMcpHttpHandler, MCP_PATH, protectedResourceMetadata, RESOURCE_METADATA_PATH } from "./handler";

export { MCP_PATH } from "./handler";

export interface ManagerAppProps {
  readonly deps: ManagerDeps;
  readonly verifier: AccessTokenVerifier;
  /** Issuer URL of the authorization server, advertised in the protected-resource metadata. */
  readonly issuer: string;
  /**
   * Public base URL clients use (e.g. behind the local edge).
   * @default - derived from the request's Host header
   */
  readonly publicBaseUrl?: string;
}


/** The manager as an express app: the MCP endpoint, its resource metadata and a health check. */
export function createManagerApp(props: ManagerAppProps): Express {
  const baseUrl = (request: Request | ExpressRequest): string => {
    if (props.publicBaseUrl) return props.publicBaseUrl;
    const host = request instanceof Request ? new URL(request.url).host : request.get("host");
    return `http://${host}`;
  };
  const handler = createMcpHttpHandler({
    deps: props.deps,
    verifier: props.verifier,
    resourceMetadataUrl: (request) => `${baseUrl(request)}${RESOURCE_METADATA_PATH}${MCP_PATH}`,
  });

  const app = express();
  app.disable("x-powered-by");
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  const metadata = (req: ExpressRequest, res: ExpressResponse) => {
    res.json(protectedResourceMetadata(`${baseUrl(req)}${MCP_PATH}`, props.issuer));
  };
  app.get(RESOURCE_METADATA_PATH, metadata);
  app.get(`${RESOURCE_METADATA_PATH}${MCP_PATH}`, metadata);
  app.all(MCP_PATH, express.raw({ type: () => true, limit: "1mb" }), async (req, res, next) => {
    try {
      const body = Buffer.isBuffer(req.body) ? req.body.toString("utf8") : undefined;
      const response = await handler(toWebRequest(req), { requestId: req.get("x-request-id") ?? randomUUID(), body });
      // Written with node's own API: express's res.send adds ETag hashing and content checks.
      const text = await response.text();
      response.headers.forEach((value, key) => res.setHeader(key, value));
      res.setHeader("content-length", Buffer.byteLength(text));
      res.writeHead(response.status).end(text);
    } catch (error) {
      next(error);
    }
  });
  return app;
}

function toWebRequest(req: ExpressRequest): Request {
  const headers: [string, string][] = [];
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.push([key, Array.isArray(value) ? value.join(", ") : value]);
  }
  const url = `http://${req.get("host") ?? "localhost"}${req.originalUrl}`;
  // The body travels as text beside the Request (see McpRequestOptions.body).
  return new Request(url, { method: req.method, headers });
}
