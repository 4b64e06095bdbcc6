import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../app/common/log";
import type { RunningHost } from "../../app/local/colourHosts";
import type { ViewerRequestEvent } from "../../app/local/edge/events";
import { kvsEntriesFromState, KeyNotFoundError, ReleaseStateKvs } from "../../app/local/edge/kvs";
import { EdgeRouter } from "../../app/local/edge/routerHost";
import { createEdgeHandler, type EdgeHandler } from "../../app/local/edge/server";
import { closeServer, listen } from "../../app/local/net";
import { releaseUiDir } from "../../app/local/releases";
import { buildUi } from "../../app/ui/build";
import { COHORT_COOKIE, Header, KvsKey } from "../../modules/release/router/contract";
import { initialState, type ReleaseState } from "../../release/state";

/**
 * The local edge without child processes: the real router files through EdgeRouter, the
 * KeyValueStore emulation over a state file in a temp folder, UI builds on disk, and a small
 * HTTP server standing in for a colour's function host.
 */
let dir: string;
let stateFile: string;
let releasesDir: string;

function state(change: Partial<ReleaseState> = {}): ReleaseState {
  return {
    ...initialState("local"),
    revision: 3,
    services: { manager: { blue: "1", green: "2" }, ui: { blue: "1", green: "2" } },
    ...change,
  };
}

/** Writes the state the way the release commands do: temp file + rename. */
async function writeState(value: ReleaseState | string): Promise<void> {
  const temp = `${stateFile}.${Math.random().toString(16).slice(2)}.tmp`;
  await writeFile(temp, typeof value === "string" ? value : JSON.stringify(value));
  await rename(temp, stateFile);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "healthmate-edge-"));
  stateFile = join(dir, "release", "state", "local.json");
  releasesDir = join(dir, "releases");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("KeyValueStore emulation", () => {
  test("renders the keys of a state; empty UI slots have no key", () => {
    expect(kvsEntriesFromState(state({ stableColour: "green", canaryWeight: 25 }))).toEqual({
      [KvsKey.CanaryWeight]: "25",
      [KvsKey.StableColour]: "green",
      [KvsKey.UiVersionBlue]: "1",
      [KvsKey.UiVersionGreen]: "2",
    });
    expect(kvsEntriesFromState(state({ services: { manager: { blue: "1", green: null }, ui: { blue: "1", green: null } } }))).not.toHaveProperty(KvsKey.UiVersionGreen);
  });

  test("no state file: every get rejects like a missing key, so the router uses its defaults", async () => {
    const kvs = new ReleaseStateKvs(stateFile);
    expect(kvs.current()).toBeUndefined();
    await expect(kvs.get(KvsKey.CanaryWeight)).rejects.toBeInstanceOf(KeyNotFoundError);
  });

  test("refresh sees a replaced file at once; an invalid file keeps the last valid state", async () => {
    const warnings: string[] = [];
    const kvs = new ReleaseStateKvs(stateFile, { log: (message) => warnings.push(message) });
    await mkdir(join(dir, "release", "state"), { recursive: true });
    await writeState(state({ canaryWeight: 10 }));
    expect(kvs.refresh()).toBe(true);
    expect(await kvs.get(KvsKey.CanaryWeight)).toBe("10");
    await writeState(state({ canaryWeight: 0, revision: 4 }));
    kvs.refresh();
    expect(await kvs.get(KvsKey.CanaryWeight)).toBe("0");
    await writeState("{ not json");
    expect(kvs.refresh()).toBe(false);
    expect(await kvs.get(KvsKey.CanaryWeight)).toBe("0");
    await writeState(JSON.stringify({ ...state(), canaryWeight: 150 }));
    kvs.refresh();
    expect(await kvs.get(KvsKey.CanaryWeight)).toBe("0");
    expect(warnings).toHaveLength(2);
  });

  test("watch notices a release command's write within a second, with no request", async () => {
    const kvs = new ReleaseStateKvs(stateFile, { pollMs: 100 });
    const changes: (number | undefined)[] = [];
    kvs.onChange((next) => changes.push(next?.canaryWeight));
    kvs.watch();
    try {
      await writeState(state({ canaryWeight: 30 }));
      const deadline = Date.now() + 1000;
      while (changes.length === 0 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 10));
      expect(changes).toEqual([30]);
    } finally {
      kvs.close();
    }
  });
});

describe("EdgeRouter", () => {
  test("concurrent requests each get the origin their own function run selected", async () => {
    const entries: Record<string, string> = { [KvsKey.CanaryWeight]: "50", [KvsKey.StableColour]: "blue" };
    // A store that yields between reads, so the requests interleave.
    const kvs = {
      async get(key: string) {
        await new Promise((done) => setImmediate(done));
        if (!(key in entries)) throw new Error("missing");
        return entries[key];
      },
    };
    const router = new EdgeRouter({ kvs });
    const decisions = await Promise.all(
      Array.from({ length: 200 }, async (_, cohort) => {
        const decision = await router.viewerRequest(viewerEvent("/mcp", String(cohort % 100)));
        return { cohort: cohort % 100, origin: decision.kind === "forward" ? decision.originId : undefined };
      }),
    );
    for (const { cohort, origin } of decisions) expect({ cohort, origin }).toEqual({ cohort, origin: cohort < 50 ? "manager-green" : "manager-blue" });
  });
});

describe("local edge", () => {
  let edgeServer: Server;
  let edgeUrl: string;
  let handler: EdgeHandler;
  let kvs: ReleaseStateKvs;
  const origins: Server[] = [];
  const received: { version: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const SECRET = "test-origin-secret";

  /** A stand-in function host: echoes what it received and names its version. */
  async function fakeHost(version: string): Promise<RunningHost> {
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        received.push({ version, url: request.url ?? "", headers: request.headers, body });
        response.writeHead(200, { "content-type": "application/json", [Header.Version]: version, "set-cookie": "origin=1; Path=/" });
        response.end(JSON.stringify({ version }));
      });
    });
    origins.push(server);
    const port = await listen(server, 0, "127.0.0.1", "fake host");
    return { service: "manager", version, url: `http://127.0.0.1:${port}`, pid: process.pid };
  }

  beforeEach(async () => {
    received.length = 0;
    for (const version of ["1", "2"]) await buildUi({ outDir: releaseUiDir(releasesDir, version), version });
    await mkdir(join(dir, "release", "state"), { recursive: true });
    await writeState(state({ canaryWeight: 0 }));
    kvs = new ReleaseStateKvs(stateFile);
    const hosts = new Map<string, Promise<RunningHost>>();
    handler = createEdgeHandler({
      router: new EdgeRouter({ kvs }),
      refreshState: () => kvs.refresh(),
      currentState: () => kvs.current(),
      host: (_service, version) => {
        if (!hosts.has(version)) hosts.set(version, fakeHost(version));
        return hosts.get(version) as Promise<RunningHost>;
      },
      releasesDir,
      originSecret: SECRET,
      log: silentLogger,
    });
    edgeServer = createServer(handler);
    edgeUrl = `http://127.0.0.1:${await listen(edgeServer, 0, "127.0.0.1", "edge")}`;
  });

  afterEach(async () => {
    handler.close();
    await closeServer(edgeServer);
    for (const server of origins.splice(0)) await closeServer(server);
  });

  test("a new visitor gets the stable UI, a cohort cookie and the colour and version headers", async () => {
    const response = await fetch(`${edgeUrl}/`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<meta name="healthmate-version" content="1">');
    expect(response.headers.get(Header.Colour)).toBe("blue");
    expect(response.headers.get(Header.Version)).toBe("1");
    expect(response.headers.get("set-cookie")).toMatch(/^hm_cohort=(\d|[1-9]\d); Path=\/; Max-Age=31536000; Secure; SameSite=Lax$/);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  test("UI files: assets, SPA routes, 404 for missing files, no way out of the release folder", async () => {
    const cookie = { cookie: `${COHORT_COOKIE}=70` };
    const asset = await fetch(`${edgeUrl}/assets/app.css`, { headers: cookie });
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/^text\/css/);
    expect(asset.headers.get("set-cookie")).toBeNull();
    expect((await fetch(`${edgeUrl}/goals/2026`, { headers: cookie })).headers.get("content-type")).toMatch(/^text\/html/);
    expect((await fetch(`${edgeUrl}/healthz.json`, { headers: cookie }).then((r) => r.json())) as unknown).toEqual({ status: "ok", service: "ui", version: "1" });
    expect((await fetch(`${edgeUrl}/missing.js`, { headers: cookie })).status).toBe(404);
    expect((await fetch(`${edgeUrl}/%2e%2e/%2e%2e/release.json`, { headers: cookie })).status).toBe(404);
    expect((await fetch(`${edgeUrl}/assets/app.css`, { method: "POST", headers: cookie })).status).toBe(405);
  });

  test("API calls go to the colour's host with the origin secret, cookies, query and body; the response names colour and version", async () => {
    await writeState(state({ canaryWeight: 50, revision: 4 }));
    for (const [cohort, version, colour] of [["10", "2", "green"], ["90", "1", "blue"]] as const) {
      const response = await fetch(`${edgeUrl}/mcp?x=1&y=a%20b`, { method: "POST", headers: { cookie: `${COHORT_COOKIE}=${cohort}; other=z`, "content-type": "application/json", [Header.OriginSecret]: "forged" }, body: '{"jsonrpc":"2.0"}' });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ version });
      expect(response.headers.get(Header.Colour)).toBe(colour);
      expect(response.headers.get(Header.Version)).toBe(version);
      expect(response.headers.get("set-cookie")).toBe("origin=1; Path=/");
      const seen = received.at(-1);
      expect(seen?.headers[Header.OriginSecret]).toBe(SECRET);
      expect(seen?.headers.cookie).toBe(`${COHORT_COOKIE}=${cohort}; other=z`);
      expect(seen?.url).toBe("/mcp?x=1&y=a%20b");
      expect(seen?.body).toBe('{"jsonrpc":"2.0"}');
      expect(seen?.headers[Header.Colour]).toBe(colour);
      // The viewer's host and this edge's scheme, for the URLs the manager advertises.
      expect(seen?.headers[Header.ForwardedHost]).toBe(new URL(edgeUrl).host);
      expect(seen?.headers[Header.ForwardedProto]).toBe("http");
    }
  });

  test("OAuth discovery: the protected-resource metadata goes to the manager host, not the UI", async () => {
    const response = await fetch(`${edgeUrl}/.well-known/oauth-protected-resource/mcp`, { headers: { cookie: `${COHORT_COOKIE}=90`, [Header.ForwardedProto]: "https" } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ version: "1" });
    expect(received.at(-1)?.url).toBe("/.well-known/oauth-protected-resource/mcp");
    expect(received.at(-1)?.headers[Header.ForwardedProto]).toBe("http");
  });

  test("a release command's write takes effect on the very next request", async () => {
    const visitor = { cookie: `${COHORT_COOKIE}=5` };
    expect((await fetch(`${edgeUrl}/`, { headers: visitor })).headers.get(Header.Colour)).toBe("blue");
    await writeState(state({ canaryWeight: 10, revision: 4 }));
    expect((await fetch(`${edgeUrl}/`, { headers: visitor })).headers.get(Header.Colour)).toBe("green");
    await writeState(state({ canaryWeight: 0, revision: 5 }));
    expect((await fetch(`${edgeUrl}/mcp`, { method: "POST", headers: visitor })).headers.get(Header.Colour)).toBe("blue");
  });

  test("an empty slot answers 502 with what to do", async () => {
    await writeState(state({ canaryWeight: 100, revision: 4, services: { manager: { blue: "1", green: null }, ui: { blue: "1", green: "2" } } }));
    const response = await fetch(`${edgeUrl}/mcp`, { method: "POST", headers: { cookie: `${COHORT_COOKIE}=1` } });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { message: string }).message).toMatch(/No manager version is staged in the green slot.*release:stage/);
  });

  test("no UI release at all: the router's 503 reaches the visitor", async () => {
    await writeState(state({ revision: 4, services: { manager: { blue: "1", green: null } } }));
    const response = await fetch(`${edgeUrl}/`);
    expect(response.status).toBe(503);
    expect(await response.text()).toMatch(/No UI release/);
  });
});

function viewerEvent(uri: string, cohort: string): ViewerRequestEvent {
  return {
    version: "1.0",
    context: { distributionDomainName: "local", distributionId: "LOCAL", eventType: "viewer-request", requestId: "r" },
    viewer: { ip: "127.0.0.1" },
    request: { method: "GET", uri, querystring: {}, headers: {}, cookies: { [COHORT_COOKIE]: { value: cohort } } },
  };
}
