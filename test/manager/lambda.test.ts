import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { FunctionUrlEvent, FunctionUrlResult } from "../../app/manager/lambda";
import { startDynalite, type LocalDynamo } from "../support/dynalite";
import { createTestIssuer, type TestIssuer } from "../support/tokens";

// The Lambda entry exactly as the runtime loads it: configuration from environment variables at
// import, DynamoDB through the SDK's endpoint variable (dynalite), keys from a JWKS URL.

const HOST = "abc123example.lambda-url.us-west-2.on.aws";
const CONFIG_VARIABLES = ["HEALTHMATE_ISSUER", "HEALTHMATE_JWKS_URL", "HEALTHMATE_CLIENT_IDS", "HEALTHMATE_TABLES", "HEALTHMATE_PUBLIC_BASE_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_DYNAMODB"];

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let jwksServer: Server;
let handler: (event: FunctionUrlEvent, context: { awsRequestId: string }) => Promise<FunctionUrlResult>;
const savedEnv: Record<string, string | undefined> = {};
const stdoutLines: string[] = [];
const originalStdoutWrite = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  dynamo = await startDynalite();
  issuer = await createTestIssuer();
  jwksServer = createServer((request, response) => {
    if (request.url !== "/jwks.json") return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(issuer.jwks));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;

  for (const name of CONFIG_VARIABLES) savedEnv[name] = process.env[name];
  Object.assign(process.env, {
    HEALTHMATE_ISSUER: issuer.issuer,
    HEALTHMATE_JWKS_URL: jwksUrl,
    HEALTHMATE_CLIENT_IDS: issuer.clientId,
    HEALTHMATE_TABLES: JSON.stringify(dynamo.tables),
    AWS_REGION: "us-west-2",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  });
  delete process.env.HEALTHMATE_PUBLIC_BASE_URL;
  // Audit records go to stdout as JSON lines; keep them for assertions instead of the test log.
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdoutLines.push(...String(chunk).split("\n").filter(Boolean));
    return true;
  }) as typeof process.stdout.write;
  ({ handler } = await import("../../app/manager/lambda"));
});

afterAll(async () => {
  process.stdout.write = originalStdoutWrite;
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
  await dynamo.close();
});

interface EventOptions {
  readonly body?: unknown;
  readonly token?: string;
  readonly base64?: boolean;
  readonly query?: string;
}

/** A function URL event (payload format 2.0) as Lambda delivers it. */
function urlEvent(method: string, rawPath: string, options: EventOptions = {}): FunctionUrlEvent {
  const text = options.body === undefined ? undefined : JSON.stringify(options.body);
  return {
    version: "2.0",
    rawPath,
    rawQueryString: options.query ?? "",
    headers: {
      host: HOST,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: text === undefined ? undefined : options.base64 ? Buffer.from(text).toString("base64") : text,
    isBase64Encoded: Boolean(options.base64 && text !== undefined),
    requestContext: { domainName: HOST, requestId: "url-request-id", http: { method, path: rawPath } },
  };
}

let sequence = 0;
async function rpc(token: string | undefined, method: string, params: Record<string, unknown> = {}, options: Omit<EventOptions, "body" | "token"> = {}) {
  const awsRequestId = `lambda-request-${++sequence}`;
  const result = await handler(urlEvent("POST", "/mcp", { ...options, token, body: { jsonrpc: "2.0", id: sequence, method, params } }), { awsRequestId });
  return { result, awsRequestId, body: JSON.parse(result.body) as { result?: Record<string, unknown>; error?: { message: string } } };
}

describe("Lambda function URL handler", () => {
  test("tools/list answers with the tool catalogue", async () => {
    const token = await issuer.accessToken("lambda-alice");
    const { result, body, awsRequestId } = await rpc(token, "tools/list");
    expect(result.statusCode).toBe(200);
    expect(result.headers["content-type"]).toMatch(/application\/json/);
    expect(result.headers["x-request-id"]).toBe(awsRequestId);
    const names = (body.result?.tools as { name: string }[]).map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["AddUser", "GetUser", "UpdateUser"]));
  });

  test("a tool call writes to DynamoDB under the token's sub and audits with the Lambda request id", async () => {
    const token = await issuer.accessToken("lambda-alice");
    const { result, body, awsRequestId } = await rpc(token, "tools/call", { name: "AddUser", arguments: { username: "Alice", timezone: "Asia/Tokyo" } });
    expect(result.statusCode).toBe(200);
    expect(body.result?.isError).toBeFalsy();
    expect(body.result?.structuredContent).toMatchObject({ username: "Alice", timezone: "Asia/Tokyo" });
    const { Item } = await dynamo.db.send(new GetCommand({ TableName: dynamo.tables.users, Key: { userId: "lambda-alice" } }));
    expect(Item).toMatchObject({ userId: "lambda-alice", username: "Alice" });
    const audit = stdoutLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((record) => record.type === "audit" && record.requestId === awsRequestId);
    expect(audit).toMatchObject({ sub: "lambda-alice", tool: "AddUser", outcome: "ok" });
  });

  test("a base64-encoded body is decoded", async () => {
    const token = await issuer.accessToken("lambda-alice");
    const { result, body } = await rpc(token, "tools/call", { name: "GetUser", arguments: {} }, { base64: true });
    expect(result.statusCode).toBe(200);
    expect(body.result?.structuredContent).toMatchObject({ username: "Alice" });
  });

  test("no token: 401 naming the protected-resource metadata", async () => {
    const { result } = await rpc(undefined, "tools/list");
    expect(result.statusCode).toBe(401);
    expect(result.headers["www-authenticate"]).toBe(`Bearer resource_metadata="https://${HOST}/.well-known/oauth-protected-resource/mcp"`);
  });

  test("a token of another issuer: 401 invalid_token, nothing written", async () => {
    const stranger = await createTestIssuer("https://evil.example/pool", issuer.clientId);
    const { result } = await rpc(await stranger.accessToken("lambda-mallory"), "tools/call", { name: "AddUser", arguments: { username: "M" } });
    expect(result.statusCode).toBe(401);
    expect(result.headers["www-authenticate"]).toMatch(/error="invalid_token"/);
    const { Item } = await dynamo.db.send(new GetCommand({ TableName: dynamo.tables.users, Key: { userId: "lambda-mallory" } }));
    expect(Item).toBeUndefined();
  });

  test.each(["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"])("GET %s serves the RFC 9728 metadata", async (path) => {
    const result = await handler(urlEvent("GET", path), { awsRequestId: "metadata-request" });
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({
      resource: `https://${HOST}/mcp`,
      authorization_servers: [issuer.issuer],
      scopes_supported: ["healthmate/health.read", "healthmate/health.write"],
    });
  });

  test("GET /healthz", async () => {
    const result = await handler(urlEvent("GET", "/healthz"), { awsRequestId: "health-request" });
    expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: false });
    expect(JSON.parse(result.body)).toEqual({ status: "ok" });
  });

  test("any other route: 404 JSON that names the MCP endpoint", async () => {
    const result = await handler(urlEvent("GET", "/admin", { query: "x=1" }), { awsRequestId: "missing-request" });
    expect(result.statusCode).toBe(404);
    expect(result.headers).toMatchObject({ "content-type": "application/json", "x-request-id": "missing-request" });
    expect(JSON.parse(result.body)).toEqual({ error: "not_found", message: "No route for GET /admin; the MCP endpoint is POST /mcp." });
  });

  test("GET /mcp is refused as the stateless endpoint it is", async () => {
    const result = await handler(urlEvent("GET", "/mcp"), { awsRequestId: "get-mcp" });
    expect(result.statusCode).toBe(405);
  });
});
