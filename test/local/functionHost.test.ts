import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "../../app/common/log";
import { ColourHosts, ORIGIN_SECRET_ENV } from "../../app/local/colourHosts";
import { createFunctionHostServer, type FunctionHandler } from "../../app/local/functionHost";
import { closeServer, listen } from "../../app/local/net";
import { releaseBundleFile } from "../../app/local/releases";
import type { FunctionUrlEvent } from "../../app/manager/lambda";
import { tableNamesFor } from "../../app/manager/store/catalogue";
import { Header } from "../../modules/release/router/contract";
import { initialState, type ReleaseState } from "../../release/state";

/**
 * The function-URL stand-in: HTTP ⇄ payload-format-2.0 events, in process with a fake handler,
 * and ColourHosts running real host processes over tiny bundles.
 */
describe("function host (HTTP ⇄ function URL event)", () => {
  let server: Server;
  let url: string;
  let events: FunctionUrlEvent[];
  let handler: FunctionHandler;

  beforeEach(async () => {
    events = [];
    handler = async (event) => {
      events.push(event);
      return { statusCode: 201, headers: { "content-type": "application/json", "X-Custom": "yes" }, body: JSON.stringify({ ok: true }), isBase64Encoded: false };
    };
    server = createFunctionHostServer({ handler: (event, context) => handler(event, context), version: "7", maxBodyBytes: 1024 });
    url = `http://127.0.0.1:${await listen(server, 0, "127.0.0.1", "function host")}`;
  });

  afterEach(() => closeServer(server));

  test("a POST becomes the event lambda.ts reads: path, query, lower-case headers, cookies apart, text body", async () => {
    const response = await fetch(`${url}/mcp?a=1&b=two`, { method: "POST", headers: { "Content-Type": "application/json", Cookie: "hm_cohort=4; x=y", "X-Healthmate-Origin-Secret": "s" }, body: '{"jsonrpc":"2.0","id":1}' });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-custom")).toBe("yes");
    expect(response.headers.get(Header.Version)).toBe("7");
    expect(await response.json()).toEqual({ ok: true });
    const [event] = events;
    expect(event).toMatchObject({
      version: "2.0",
      rawPath: "/mcp",
      rawQueryString: "a=1&b=two",
      cookies: ["hm_cohort=4", "x=y"],
      body: '{"jsonrpc":"2.0","id":1}',
      isBase64Encoded: false,
      requestContext: { http: { method: "POST", path: "/mcp" } },
    });
    expect(event?.headers?.["content-type"]).toBe("application/json");
    expect(event?.headers?.[Header.OriginSecret]).toBe("s");
    expect(event?.headers?.cookie).toBeUndefined();
    expect(event?.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("binary bodies travel base64-encoded, both ways", async () => {
    handler = async (event) => {
      events.push(event);
      return { statusCode: 200, headers: { "content-type": "application/octet-stream" }, body: Buffer.from([1, 2, 255]).toString("base64"), isBase64Encoded: true };
    };
    const response = await fetch(url, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array([0, 200, 7]) });
    expect(events[0]).toMatchObject({ isBase64Encoded: true, body: Buffer.from([0, 200, 7]).toString("base64") });
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([1, 2, 255]);
  });

  test("the function's own version header wins; a throwing function is a 502; a body over the limit a 413", async () => {
    handler = async () => ({ statusCode: 200, headers: { [Header.Version]: "9" }, body: "", isBase64Encoded: false });
    expect((await fetch(url)).headers.get(Header.Version)).toBe("9");
    handler = async () => {
      throw new Error("boom");
    };
    expect((await fetch(url)).status).toBe(502);
    expect((await fetch(url, { method: "POST", body: "x".repeat(2048) })).status).toBe(413);
  });
});

describe("ColourHosts (real host processes)", () => {
  let dir: string;
  let hosts: ColourHosts;
  const logged: string[] = [];
  const log: Logger = { info: (message) => logged.push(message), warn: (message) => logged.push(message), error: (message) => logged.push(message) };

  /** A bundle that reports its version and what it was configured with. */
  async function fakeRelease(version: string): Promise<void> {
    const file = releaseBundleFile(join(dir, "releases"), version, "manager");
    await mkdir(join(file, ".."), { recursive: true });
    await writeFile(
      file,
      `export async function handler(event) {
  return { statusCode: 200, headers: { "content-type": "application/json" }, isBase64Encoded: false,
    body: JSON.stringify({ path: event.rawPath, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, secret: process.env.${ORIGIN_SECRET_ENV},
      issuer: process.env.HEALTHMATE_ISSUER, dynamodb: process.env.AWS_ENDPOINT_URL_DYNAMODB, home: process.env.HOME ?? null }) };
}\n`,
    );
  }

  function slots(blue: string | null, green: string | null): ReleaseState {
    return { ...initialState("local"), revision: 1, services: { manager: { blue, green } } };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "healthmate-hosts-"));
    for (const version of ["1", "2", "3"]) await fakeRelease(version);
    hosts = new ColourHosts({
      releasesDir: join(dir, "releases"),
      output: "ignore",
      log,
      environment: {
        issuer: "http://127.0.0.1:1/issuer",
        jwksUrl: "http://127.0.0.1:1/jwks",
        clientIds: ["a", "b"],
        tables: tableNamesFor("local"),
        dynamodbEndpoint: "http://127.0.0.1:2",
        publicBaseUrl: "http://127.0.0.1:3",
        originSecret: "secret-1",
      },
    });
  });

  afterAll(async () => {
    await hosts.stopAll();
    await rm(dir, { recursive: true, force: true });
  });

  test(
    "one process per referenced version, with the function's environment; unreferenced versions stop; a crashed host starts again on demand",
    async () => {
      hosts.reconcile(slots("1", "2"));
      const [one, two] = await Promise.all([hosts.host("manager", "1"), hosts.host("manager", "2")]);
      expect(one.pid).not.toBe(two.pid);
      const answer = (await (await fetch(`${one.url}/mcp`)).json()) as Record<string, unknown>;
      expect(answer).toEqual({ path: "/mcp", version: "1", secret: "secret-1", issuer: "http://127.0.0.1:1/issuer", dynamodb: "http://127.0.0.1:2", home: null });
      expect(hosts.running().map((host) => host.version)).toEqual(["1", "2"]);

      // Stage 3 into blue: 3 starts, 2 keeps running (same pid), 1 stops.
      hosts.reconcile(slots("3", "2"));
      const three = await hosts.host("manager", "3");
      expect((await hosts.host("manager", "2")).pid).toBe(two.pid);
      const deadline = Date.now() + 5000;
      while (hosts.running().some((host) => host.version === "1") && Date.now() < deadline) await new Promise((done) => setTimeout(done, 20));
      expect(hosts.running().map((host) => host.version)).toEqual(["2", "3"]);
      await expect(fetch(one.url)).rejects.toThrow();

      process.kill(three.pid, "SIGKILL");
      const restartDeadline = Date.now() + 5000;
      while (hosts.running().some((host) => host.pid === three.pid) && Date.now() < restartDeadline) await new Promise((done) => setTimeout(done, 20));
      const again = await hosts.host("manager", "3");
      expect(again.pid).not.toBe(three.pid);
      expect(((await (await fetch(again.url)).json()) as { version: string }).version).toBe("3");
    },
    60_000,
  );

  test("a slot naming a version without a build is reported, not started", () => {
    hosts.reconcile(slots("3", "99"));
    expect(logged.some((message) => /without a local build/.test(message))).toBe(true);
  });
});
