import type { FunctionUrlEvent, FunctionUrlResult, InvocationContext } from "../../app/manager/lambda";
import { invokedQualifier, originAllowed, originGuardFromEnv, originSecretValid } from "../../modules/release/origin-guard";

// The colour function URLs answer only to CloudFront: the Lambda entry exactly as the runtime
// loads it (configuration from environment variables at import), with the origin secret set as
// the manager stack sets it. The guard runs before any route, so no DynamoDB is needed here.

const HOST = "abc123example.lambda-url.us-west-2.on.aws";
const SECRET = "current-origin-secret-0123456789abcdef0123456789";
const OLD_SECRET = "previous-origin-secret-0123456789abcdef01234567";
const ARN = "arn:aws:lambda:us-west-2:123456789012:function:healthmate-manager-dev";
const VARIABLES: Record<string, string> = {
  HEALTHMATE_ISSUER: "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example",
  HEALTHMATE_JWKS_URL: "http://127.0.0.1:9/jwks.json",
  HEALTHMATE_CLIENT_IDS: "client",
  HEALTHMATE_TABLES: JSON.stringify(Object.fromEntries(["users", "goals", "policies", "concerns", "activities", "bodyMeasurements", "journals", "observations"].map((key) => [key, `healthmate-${key}-dev`]))),
  HEALTHMATE_ORIGIN_SECRET: `${SECRET},${OLD_SECRET}`,
  HEALTHMATE_ORIGIN_OPEN_ALIASES: "live",
  AWS_LAMBDA_FUNCTION_VERSION: "7",
  AWS_REGION: "us-west-2",
};

let handler: (event: FunctionUrlEvent, context: InvocationContext) => Promise<FunctionUrlResult>;
let toRequest: (event: FunctionUrlEvent) => Request;
const savedEnv: Record<string, string | undefined> = {};
const originalStderrWrite = process.stderr.write.bind(process.stderr);
const stderrLines: string[] = [];

beforeAll(async () => {
  for (const name of [...Object.keys(VARIABLES), "HEALTHMATE_PUBLIC_BASE_URL"]) savedEnv[name] = process.env[name];
  Object.assign(process.env, VARIABLES);
  delete process.env.HEALTHMATE_PUBLIC_BASE_URL;
  // Refusals are logged as JSON lines on stderr; keep them for assertions.
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderrLines.push(...String(chunk).split("\n").filter(Boolean));
    return true;
  }) as typeof process.stderr.write;
  ({ handler, toRequest } = await import("../../app/manager/lambda"));
});

afterAll(() => {
  process.stderr.write = originalStderrWrite;
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

function urlEvent(method: string, rawPath: string, headers: Record<string, string> = {}): FunctionUrlEvent {
  return { version: "2.0", rawPath, headers: { host: HOST, ...headers }, requestContext: { domainName: HOST, requestId: "url-request", http: { method, path: rawPath } } };
}
const via = (qualifier?: string): InvocationContext => ({ awsRequestId: `req-${qualifier ?? "none"}`, invokedFunctionArn: qualifier ? `${ARN}:${qualifier}` : ARN });
const secretHeader = (value: string) => ({ "x-healthmate-origin-secret": value });

describe("colour function URLs refuse requests without CloudFront's origin secret", () => {
  test.each(["blue", "green"])("%s: no secret → 403, nothing routed, the version named", async (colour) => {
    const result = await handler(urlEvent("GET", "/healthz"), via(colour));
    expect(result.statusCode).toBe(403);
    expect(JSON.parse(result.body)).toMatchObject({ error: "forbidden" });
    expect(result.headers).toMatchObject({ "x-healthmate-version": "7", "x-request-id": `req-${colour}` });
    expect(stderrLines.some((line) => line.includes("refused: no valid origin secret") && line.includes(`"qualifier":"${colour}"`))).toBe(true);
  });

  test.each([
    ["a wrong secret of the same length", SECRET.replace(/.$/, "X")],
    ["a prefix of the secret", SECRET.slice(0, 40)],
    ["the secret with a suffix", `${SECRET}x`],
    ["an empty value", ""],
  ])("%s → 403", async (_name, value) => {
    expect((await handler(urlEvent("GET", "/healthz", secretHeader(value)), via("blue"))).statusCode).toBe(403);
  });

  test("an MCP POST without the secret never reaches the MCP handler (403, not 401)", async () => {
    const result = await handler({ ...urlEvent("POST", "/mcp", { "content-type": "application/json" }), body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) }, via("green"));
    expect(result.statusCode).toBe(403);
  });

  test("unqualified or version-qualified invocations need the secret too (fail closed)", async () => {
    expect((await handler(urlEvent("GET", "/healthz"), via())).statusCode).toBe(403);
    expect((await handler(urlEvent("GET", "/healthz"), via("7"))).statusCode).toBe(403);
  });
});

describe("with the secret, or through live", () => {
  test("the current secret and, while rotating, the previous one pass; header names are case-insensitive", async () => {
    for (const value of [SECRET, OLD_SECRET]) {
      const result = await handler(urlEvent("GET", "/healthz", secretHeader(value)), via("blue"));
      expect(result).toMatchObject({ statusCode: 200, body: JSON.stringify({ status: "ok" }) });
      expect(result.headers["x-healthmate-version"]).toBe("7");
    }
    expect((await handler(urlEvent("GET", "/healthz", { "X-Healthmate-Origin-Secret": SECRET }), via("green"))).statusCode).toBe(200);
  });

  test("with the secret, an MCP POST is authenticated as always (no token → 401)", async () => {
    const event = { ...urlEvent("POST", "/mcp", { "content-type": "application/json", accept: "application/json, text/event-stream", ...secretHeader(SECRET) }), body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) };
    const result = await handler(event, via("blue"));
    expect(result.statusCode).toBe(401);
    expect(result.headers["x-healthmate-version"]).toBe("7");
  });

  test("live stays open to direct MCP clients", async () => {
    expect(await handler(urlEvent("GET", "/healthz"), via("live"))).toMatchObject({ statusCode: 200 });
    expect((await handler(urlEvent("GET", "/nope"), via("live"))).statusCode).toBe(404);
  });

  test("the secret is dropped before the request reaches the MCP server", () => {
    const request = toRequest(urlEvent("POST", "/mcp", { ...secretHeader(SECRET), authorization: "Bearer t" }));
    expect(request.headers.get("x-healthmate-origin-secret")).toBeNull();
    expect(request.headers.get("authorization")).toBe("Bearer t");
  });
});

describe("public URLs (OAuth discovery) through the edge", () => {
  const EDGE_HOST = "health.example.com";
  const METADATA = "/.well-known/oauth-protected-resource/mcp";
  const tokenless = (headers: Record<string, string>): FunctionUrlEvent => ({
    ...urlEvent("POST", "/mcp", { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }),
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  const resourceOf = async (headers: Record<string, string>, qualifier: string) => (JSON.parse((await handler(urlEvent("GET", METADATA, headers), via(qualifier))).body) as { resource: string }).resource;
  const challengeOf = async (headers: Record<string, string>, qualifier: string) => {
    const result = await handler(tokenless(headers), via(qualifier));
    expect(result.statusCode).toBe(401);
    return result.headers["www-authenticate"];
  };

  test("with the secret, the metadata's resource and the 401's resource_metadata name the viewer's host, not the colour URL", async () => {
    for (const path of ["/.well-known/oauth-protected-resource", METADATA]) {
      const result = await handler(urlEvent("GET", path, { ...secretHeader(SECRET), "x-forwarded-host": EDGE_HOST }), via("green"));
      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body)).toMatchObject({ resource: `https://${EDGE_HOST}/mcp`, authorization_servers: [VARIABLES.HEALTHMATE_ISSUER] });
    }
    expect(await challengeOf({ ...secretHeader(SECRET), "x-forwarded-host": EDGE_HOST }, "blue")).toBe(`Bearer resource_metadata="https://${EDGE_HOST}${METADATA}"`);
  });

  test("the local edge's x-forwarded-proto: http counts only with the secret; anything else means https", async () => {
    const local = { "x-forwarded-host": "127.0.0.1:4100", "x-forwarded-proto": "http" };
    expect(await resourceOf({ ...secretHeader(SECRET), ...local }, "blue")).toBe("http://127.0.0.1:4100/mcp");
    expect(await resourceOf({ ...secretHeader(SECRET), ...local, "x-forwarded-proto": "gopher" }, "blue")).toBe("https://127.0.0.1:4100/mcp");
    expect(await resourceOf(local, "live")).toBe(`https://${HOST}/mcp`);
  });

  test("without the secret (live) x-forwarded-* are ignored: the request's own host", async () => {
    const spoofed = { "x-forwarded-host": "evil.example", "x-forwarded-proto": "http" };
    expect(await resourceOf(spoofed, "live")).toBe(`https://${HOST}/mcp`);
    expect(await challengeOf(spoofed, "live")).toBe(`Bearer resource_metadata="https://${HOST}${METADATA}"`);
    expect(toRequest(urlEvent("GET", METADATA, spoofed)).headers.get("x-forwarded-host")).toBeNull();
  });

  test("a forwarded host that is not a host is ignored", async () => {
    for (const bad of ["evil.example/path", "a b", "user@evil.example", "evil.example\\x", ""]) {
      expect(await resourceOf({ ...secretHeader(SECRET), "x-forwarded-host": bad }, "blue")).toBe(`https://${HOST}/mcp`);
    }
    expect(await resourceOf({ ...secretHeader(SECRET), "x-forwarded-host": `${EDGE_HOST}, other.example` }, "blue")).toBe(`https://${EDGE_HOST}/mcp`);
  });
});

describe("origin guard (pure)", () => {
  test("no secret configured: no guard, everything passes (local runs)", () => {
    expect(originGuardFromEnv({})).toBeUndefined();
    expect(originGuardFromEnv({ HEALTHMATE_ORIGIN_SECRET: " , " })).toBeUndefined();
    expect(originAllowed(undefined, {}, "blue")).toBe(true);
    // …but nothing came through the edge either: forwarded headers are not trusted.
    expect(originSecretValid(undefined, { "x-healthmate-origin-secret": "anything" })).toBe(false);
  });

  test("originSecretValid: the secret itself, whatever the alias", () => {
    const guard = { secrets: ["a", "b"], openAliases: ["live"] };
    expect(originSecretValid(guard, { "x-healthmate-origin-secret": "b" })).toBe(true);
    expect(originSecretValid(guard, { "x-healthmate-origin-secret": "c" })).toBe(false);
    expect(originSecretValid(guard, {})).toBe(false);
  });

  test("configuration: comma-separated secrets and open aliases", () => {
    expect(originGuardFromEnv({ HEALTHMATE_ORIGIN_SECRET: " a , b ", HEALTHMATE_ORIGIN_OPEN_ALIASES: "live" })).toEqual({ secrets: ["a", "b"], openAliases: ["live"] });
  });

  test.each([
    [`${ARN}:blue`, "blue"],
    [`${ARN}:7`, "7"],
    [ARN, undefined],
    [undefined, undefined],
  ])("invokedQualifier(%s) is %s", (arn, qualifier) => {
    expect(invokedQualifier(arn)).toBe(qualifier);
  });
});
