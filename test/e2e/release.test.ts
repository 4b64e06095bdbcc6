import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, unlink, writeFile } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { COHORT_COOKIE, Header, otherColour, type Colour } from "../../modules/release/router/contract";
import { releaseStateSchema, type ReleaseState } from "../../release/state";

/**
 * Releases end to end on the local runtime, with no mocks between the CLI and the edge: `npm
 * start` (app/local/start.ts) in a temporary HEALTHMATE_HOME, the release commands
 * (release/cli.ts) as separate processes, and plain HTTP against the local edge. Every request's
 * colour and version come from the edge's response headers.
 *
 * The commands run as `node --import tsx release/cli.ts …` — what `npm run release:*` runs
 * (`tsx release/cli.ts`) minus tsx's wrapper process, so that `kill -9` hits the command itself.
 */
const ROOT = resolve(".");
const TSX = pathToFileURL(createRequire(join(ROOT, "package.json")).resolve("tsx")).href;
const STARTUP_TIMEOUT_MS = 45_000;

let home: string;
let env: NodeJS.ProcessEnv;
let runtime: { child: ChildProcess; output: () => string; exited: Promise<unknown> } | undefined;
let edge: string;
let token: string;
const children: ChildProcess[] = [];
const agent = new Agent({ keepAlive: true, maxSockets: 32 });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function spawnScript(script: string, args: readonly string[]): { child: ChildProcess; output: () => string; result: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ["--import", TSX, script, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((done) => child.on("exit", (code, signal) => done({ code, signal, stdout, stderr })));
  return { child, output: () => stdout + stderr, result };
}

/** `npm run release:<command> -- <args> --env local`, to completion. */
async function release(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return spawnScript("release/cli.ts", [...args, "--env", "local"]).result;
}

async function releaseOk(...args: string[]): Promise<string> {
  const result = await release(...args);
  if (result.code !== 0) throw new Error(`release ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

function stateFile(): string {
  return join(home, "release", "state", "local.json");
}

async function readState(): Promise<ReleaseState> {
  return releaseStateSchema.parse(JSON.parse(await readFile(stateFile(), "utf8")));
}

interface Served {
  readonly status: number;
  readonly colour: string;
  readonly version: string;
  readonly cohort?: string;
  readonly body: string;
}

/** One request to the edge; `cohort` sends the visitor's cookie, none makes a new visitor. */
async function get(path: string, options: { cohort?: string; method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Served> {
  try {
    return await getOnce(path, options);
  } catch (error) {
    // A kept-alive connection the edge closed while idle: send again (the test's client, not the edge).
    if ((error as NodeJS.ErrnoException).code === "ECONNRESET") return getOnce(path, options);
    throw error;
  }
}

function getOnce(path: string, options: { cohort?: string; method?: string; body?: string; headers?: Record<string, string> }): Promise<Served> {
  return new Promise((done, fail) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.cohort !== undefined) headers.cookie = `${COHORT_COOKIE}=${options.cohort}`;
    const request = httpRequest(`${edge}${path}`, { method: options.method ?? "GET", headers, agent }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => {
        const cookie = (response.headers["set-cookie"] ?? []).map((line) => new RegExp(`^${COHORT_COOKIE}=(\\d+);`).exec(line)?.[1]).find(Boolean);
        done({ status: response.statusCode ?? 0, colour: String(response.headers[Header.Colour]), version: String(response.headers[Header.Version]), cohort: cookie ?? options.cohort, body });
      });
    });
    request.on("error", fail);
    request.end(options.body);
  });
}

function toolsList(cohort: string): Promise<Served> {
  return get("/mcp", {
    cohort,
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
}

/** `count` new visitors (no cookie), `concurrency` at a time. */
async function newVisitors(count: number, concurrency = 25): Promise<Served[]> {
  const results: Served[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        results.push(await get("/"));
      }
    }),
  );
  return results;
}

/** The version a colour's slot holds for a service. */
function slot(state: ReleaseState, service: "manager" | "ui", colour: Colour): string | null {
  return state.services[service]?.[colour] ?? null;
}

/** Whether the edge serves every one of `count` new visitors from `colour`, polled until `deadlineMs`. */
async function allNewVisitorsOn(colour: string, count: number, deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const served = await newVisitors(count);
    if (served.every((visitor) => visitor.colour === colour)) return true;
    if (Date.now() > deadline) return false;
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${runtime?.output().slice(-3000) ?? ""}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

function runtimeHosts(): { service: string; version: string; pid: number; colours: string[] }[] {
  return (JSON.parse(readFileSync(join(home, "runtime.json"), "utf8")) as { colourHosts: { service: string; version: string; pid: number; colours: string[] }[] }).colourHosts;
}

/** CPU time (clock ticks) a process has used, from /proc; undefined where /proc is missing. */
function cpuTicks(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "healthmate-release-e2e-"));
  env = {
    ...process.env,
    HEALTHMATE_HOME: home,
    HEALTHMATE_DYNAMODB_PORT: String(await freePort()),
    HEALTHMATE_OIDC_PORT: String(await freePort()),
    HEALTHMATE_MANAGER_PORT: String(await freePort()),
    HEALTHMATE_EDGE_PORT: String(await freePort()),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  const started = spawnScript("app/local/start.ts", []);
  runtime = { child: started.child, output: started.output, exited: started.result };
  let exited = false;
  void started.result.then(() => (exited = true));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!existsSync(join(home, "runtime.json"))) {
    if (exited) throw new Error(`npm start exited early:\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`runtime.json did not appear:\n${started.output()}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  edge = (JSON.parse(await readFile(join(home, "runtime.json"), "utf8")) as { edgeUrl: string }).edgeUrl;
  const minted = await spawnScript("app/local/token.ts", ["--user", "release-e2e"]).result;
  if (minted.code !== 0) throw new Error(`token: ${minted.stderr}`);
  token = minted.stdout.trim();
}, 90_000);

afterAll(async () => {
  agent.destroy();
  if (runtime && runtime.child.exitCode === null) {
    runtime.child.kill("SIGINT");
    await Promise.race([runtime.exited, new Promise((done) => setTimeout(done, 10_000).unref())]);
  }
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  if (home) await rm(home, { recursive: true, force: true });
});

describe("releases on the local runtime (npm start + release commands + the local edge)", () => {
  test(
    "a fresh home starts with version 1 in blue; stage → canary 10 → promote → stage → canary → rollback, each seen at the edge",
    async () => {
      // Fresh clone: npm start staged a first version.
      let state = await readState();
      expect(state).toMatchObject({ stableColour: "blue", canaryWeight: 0, services: { manager: { blue: "1", green: null }, ui: { blue: "1", green: null } } });
      const first = await get("/");
      expect([first.status, first.colour, first.version]).toEqual([200, "blue", "1"]);
      expect(first.body).toContain('<meta name="healthmate-version" content="1">');
      // A colour host answers only requests that came through the edge (the origin secret).
      const host = (JSON.parse(await readFile(join(home, "runtime.json"), "utf8")) as { colourHosts: { url: string }[] }).colourHosts[0];
      expect((await fetch(`${host?.url}/mcp`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: "{}" })).status).toBe(403);
      // OAuth discovery through the edge: the metadata and the 401 challenge name the edge, not the colour host.
      const metadata = await fetch(`${edge}/.well-known/oauth-protected-resource/mcp`);
      expect(metadata.status).toBe(200);
      expect(((await metadata.json()) as { resource: string }).resource).toBe(`${edge}/mcp`);
      const challenge = await fetch(`${edge}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
      expect(challenge.status).toBe(401);
      expect(challenge.headers.get("www-authenticate")).toBe(`Bearer resource_metadata="${edge}/.well-known/oauth-protected-resource/mcp"`);

      // Stage a second version: it goes into green (idle) at weight 0; its host starts, blue's keeps running.
      const bluePid = runtimeHosts().find((host) => host.version === "1")?.pid;
      await releaseOk("stage");
      state = await readState();
      expect(state.services.manager).toEqual({ blue: "1", green: "2" });
      expect(state.services.ui).toEqual({ blue: "1", green: "2" });
      await waitFor(() => runtimeHosts().some((host) => host.version === "2"), "the host of version 2");
      expect(runtimeHosts().find((host) => host.version === "1")?.pid).toBe(bluePid);
      expect((await newVisitors(200)).every((visitor) => visitor.colour === "blue")).toBe(true);

      // Canary 10: of 2 000 new visitors, 8-12 % on green.
      await releaseOk("canary", "10");
      const visitors = await newVisitors(2000);
      expect(visitors.every((visitor) => visitor.status === 200 && visitor.cohort !== undefined)).toBe(true);
      const onCandidate = visitors.filter((visitor) => visitor.colour === "green");
      expect(onCandidate.length / visitors.length).toBeGreaterThanOrEqual(0.08);
      expect(onCandidate.length / visitors.length).toBeLessThanOrEqual(0.12);
      for (const visitor of visitors) expect(visitor.version).toBe(visitor.colour === "green" ? "2" : "1");

      // Each visitor's UI and API requests all come from one colour and that colour's versions.
      const sample = [...onCandidate.slice(0, 4), ...visitors.filter((visitor) => visitor.colour === "blue").slice(0, 4)];
      const paths = ["/", "/assets/app.js", "/assets/app.css", "/healthz.json", "/goals/today"];
      for (const visitor of sample) {
        const cohort = visitor.cohort as string;
        const ui = await Promise.all(Array.from({ length: 20 }, (_, i) => get(paths[i % paths.length] as string, { cohort })));
        const api = await Promise.all(Array.from({ length: 20 }, () => toolsList(cohort)));
        const colour = visitor.colour as Colour;
        expect(new Set(ui.map((served) => `${served.status} ${served.colour} ${served.version}`))).toEqual(new Set([`200 ${colour} ${slot(state, "ui", colour)}`]));
        expect(new Set(api.map((served) => `${served.status} ${served.colour} ${served.version}`))).toEqual(new Set([`200 ${colour} ${slot(state, "manager", colour)}`]));
        expect(JSON.parse(api[0]?.body ?? "{}").result.tools.some((tool: { name: string }) => tool.name === "GetUser")).toBe(true);
        expect(ui.every((served) => served.cohort === cohort)).toBe(true);
      }

      // Promote: from the moment the command returns, every new request is on green.
      await releaseOk("promote");
      expect(await readState()).toMatchObject({ stableColour: "green", canaryWeight: 0 });
      expect((await newVisitors(300)).every((visitor) => visitor.colour === "green" && visitor.version === "2")).toBe(true);
      for (const visitor of sample) expect((await toolsList(visitor.cohort as string)).colour).toBe("green");

      // Stage a third version (into blue, now idle): 1's host stops, 3's starts, 2's is untouched.
      const greenPid = runtimeHosts().find((host) => host.version === "2")?.pid;
      await releaseOk("stage");
      await waitFor(() => runtimeHosts().some((host) => host.version === "3") && !runtimeHosts().some((host) => host.version === "1"), "host 3 up and host 1 gone");
      expect(runtimeHosts().find((host) => host.version === "2")?.pid).toBe(greenPid);

      // Rollback during a canary: after the command returns, no visitor is served by the candidate.
      await releaseOk("canary", "50");
      const during = await newVisitors(200);
      const candidateVisitors = during.filter((visitor) => visitor.colour === "blue");
      expect(candidateVisitors.length).toBeGreaterThan(40);
      await releaseOk("rollback");
      const after = [
        ...(await newVisitors(300)),
        ...(await Promise.all(candidateVisitors.slice(0, 20).map((visitor) => get("/assets/app.js", { cohort: visitor.cohort })))),
        ...(await Promise.all(candidateVisitors.slice(0, 20).map((visitor) => toolsList(visitor.cohort as string)))),
      ];
      expect(after.filter((served) => served.colour !== "green").map((served) => ({ ...served, body: served.body.slice(0, 300) }))).toEqual([]);
      expect(await allNewVisitorsOn("green", 50, 1000)).toBe(true);
    },
    120_000,
  );

  test(
    "two concurrent canary commands: one wins, the other says the state changed and to retry; the state stays valid",
    async () => {
      const before = await readState();
      expect(before.canaryWeight).toBe(0);
      // Hold the state lock (as a live release command would) while both commands start, so both
      // read the same revision — the race the revision check exists for — instead of hoping two
      // processes interleave within milliseconds.
      const lock = `${stateFile()}.lock`;
      await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), token: "e2e-test", since: new Date().toISOString() }));
      const commands = [spawnScript("release/cli.ts", ["canary", "20", "--env", "local"]), spawnScript("release/cli.ts", ["canary", "30", "--env", "local"])];
      try {
        // Both are waiting for the lock once they stop using CPU (start-up is CPU-bound).
        const samples = new Map<number, number[]>();
        await waitFor(
          () =>
            commands.every(({ child }) => {
              const ticks = cpuTicks(child.pid as number);
              if (ticks === undefined) return false;
              const seen = [...(samples.get(child.pid as number) ?? []), ticks].slice(-6);
              samples.set(child.pid as number, seen);
              return seen.length === 6 && (seen[5] as number) - (seen[0] as number) <= 2;
            }),
          "both commands to wait for the lock",
          8_000,
        ).catch(() => undefined); // without /proc: the fixed wait below is the fallback
        await new Promise((done) => setTimeout(done, 200));
      } finally {
        await unlink(lock);
      }
      const results = await Promise.all(commands.map((command) => command.result));
      const winners = results.filter((result) => result.code === 0);
      const losers = results.filter((result) => result.code !== 0);
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(1);
      expect(losers[0]?.stderr).toMatch(/state changed.*(retry|run it again)/i);
      const after = await readState();
      expect(after.revision).toBe(before.revision + 1);
      expect([20, 30]).toContain(after.canaryWeight);
      expect(winners[0]?.stdout).toContain(`${after.canaryWeight} %`);
      // The edge follows the winner.
      const visitor = await get("/", { cohort: String(after.canaryWeight - 1) });
      expect(visitor.colour).toBe(otherColour(after.stableColour));
    },
    60_000,
  );

  test(
    "kill -9 of a command at any moment: the state stays valid, no half release appears, and the edge keeps serving",
    async () => {
      const delays = [150, 400, 700, 1000, 1400, 2000];
      for (const [index, delay] of delays.entries()) {
        const before = await readState();
        const args = index % 3 === 2 ? ["rollback"] : ["canary", String(40 + index)];
        const command = spawnScript("release/cli.ts", [...args, "--env", "local"]);
        await new Promise((done) => setTimeout(done, delay));
        command.child.kill("SIGKILL");
        await command.result;

        const after = await readState(); // parses: never half a file
        expect([before.revision, before.revision + 1]).toContain(after.revision);
        const front = await get("/", { cohort: "99" });
        expect([front.status, front.colour]).toEqual([200, after.stableColour]);
        expect((await toolsList("99")).status).toBe(200);
      }

      // A build killed mid-way leaves no half release: every release folder is complete.
      const stage = spawnScript("release/cli.ts", ["rollback", "--env", "local"]);
      await stage.result;
      const build = spawnScript("release/cli.ts", ["stage", "--env", "local"]);
      await new Promise((done) => setTimeout(done, 1200));
      build.child.kill("SIGKILL");
      await build.result;
      const releasesDir = join(home, "releases");
      for (const name of (await readdir(releasesDir)).filter((entry) => /^\d+$/.test(entry))) {
        expect(existsSync(join(releasesDir, name, "manager", "index.mjs")) && existsSync(join(releasesDir, name, "ui", "index.html"))).toBe(true);
      }

      // Commands still work afterwards (a lock left by a killed command is taken over).
      await releaseOk("rollback");
      await releaseOk("canary", "5");
      expect((await readState()).canaryWeight).toBe(5);
      await releaseOk("rollback");
      expect((await get("/", { cohort: "0" })).colour).toBe((await readState()).stableColour);
    },
    90_000,
  );
});
