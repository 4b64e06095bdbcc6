import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { decodeJwt } from "jose";
import { callOk, connectClient } from "../support/manager";

/**
 * `npm start` and `npm run token` as a user runs them: real processes (the tsx CLI that
 * `npx tsx` runs), a temporary HEALTHMATE_HOME, free loopback ports. Data must survive a
 * restart; Ctrl-C (SIGINT) must stop cleanly and remove runtime.json.
 */
const ROOT = resolve(".");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const STARTUP_TIMEOUT_MS = 45_000;

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let home: string;
let env: NodeJS.ProcessEnv;
let ports: { dynamodb: number; oidc: number; manager: number; edge: number };
const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function run(script: string, args: readonly string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(TSX, [script, ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on("exit", (code, signal) => done({ code, signal })));
  return { child, output: () => output, exited };
}

/** Runs a CLI to completion; resolves with its exit code and separate stdout/stderr. */
function runToEnd(script: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(TSX, [script, ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.on("exit", (code) => done({ code, stdout, stderr })));
}

async function startRuntime(): Promise<Started & { info: { issuer: string; mcpUrl: string; pid: number; dynamodbEndpoint: string } }> {
  const started = run("app/local/start.ts");
  const runtimeFile = join(home, "runtime.json");
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let exited = false;
  void started.exited.then(() => (exited = true));
  while (!existsSync(runtimeFile)) {
    if (exited) throw new Error(`npm start exited early:\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`runtime.json did not appear:\n${started.output()}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  const info = JSON.parse(await readFile(runtimeFile, "utf8")) as { issuer: string; mcpUrl: string; pid: number; dynamodbEndpoint: string };
  return { ...started, info };
}

async function token(user: string): Promise<string> {
  const result = await runToEnd("app/local/token.ts", ["--user", user]);
  if (result.code !== 0) throw new Error(`token CLI failed (${result.code}): ${result.stderr}`);
  return result.stdout.trim();
}

async function stop(started: Started): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  started.child.kill("SIGINT");
  return started.exited;
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "healthmate-home-"));
  ports = { dynamodb: await freePort(), oidc: await freePort(), manager: await freePort(), edge: await freePort() };
  env = {
    ...process.env,
    HEALTHMATE_HOME: home,
    HEALTHMATE_DYNAMODB_PORT: String(ports.dynamodb),
    HEALTHMATE_OIDC_PORT: String(ports.oidc),
    HEALTHMATE_MANAGER_PORT: String(ports.manager),
    HEALTHMATE_EDGE_PORT: String(ports.edge),
  };
});

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  if (home) await rm(home, { recursive: true, force: true });
});

describe("local runtime (npm start + npm run token)", () => {
  test("the token CLI says to start the runtime when it is not running", async () => {
    const result = await runToEnd("app/local/token.ts", ["--user", "alice"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/start the local runtime first: npm start/);
    expect(result.stdout).toBe("");
  }, 30_000);

  test.each([
    [[], /required option '-u, --user <name>'/],
    [["--user", "not a name"], /not a valid username/],
    [["--user", "alice", "--scopes", "healthmate/admin"], /unknown scope 'healthmate\/admin'/],
    [["--user", "alice", "--frobnicate"], /unknown option '--frobnicate'/],
  ])("the token CLI rejects %j with a clear message and exit code 2", async (args, message) => {
    const result = await runToEnd("app/local/token.ts", args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  }, 30_000);

  test(
    "start → token → AddUser/GetUser → Ctrl-C → start again: the profile is still there",
    async () => {
      const first = await startRuntime();
      expect(first.info.mcpUrl).toBe(`http://127.0.0.1:${ports.manager}/mcp`);
      expect(first.info.issuer).toBe(`http://127.0.0.1:${ports.oidc}`);
      expect(first.info.dynamodbEndpoint).toBe(`http://127.0.0.1:${ports.dynamodb}`);
      expect(first.output()).toMatch(/npm run token -- --user alice/);

      const accessToken = await token("alice");
      const claims = decodeJwt(accessToken);
      expect(claims).toMatchObject({ iss: first.info.issuer, token_use: "access", username: "alice", client_id: "healthmate-cli" });
      const client = await connectClient(new URL(first.info.mcpUrl), accessToken);
      await callOk(client, "AddUser", { username: "Alice", dateOfBirth: "1990-05-01", timezone: "Asia/Tokyo" });
      expect(await callOk(client, "GetUser")).toMatchObject({ username: "Alice", dateOfBirth: "1990-05-01" });
      await client.close();

      // The generated password was kept: a second run signs in to the same account.
      expect(decodeJwt(await token("alice")).sub).toBe(claims.sub);

      // A second runtime on the same data directory is refused while the first runs.
      const second = await runToEnd("app/local/start.ts", []);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`already running .*pid ${first.info.pid}`));

      // A busy port is named, with the variable that moves it.
      const otherHome = await mkdtemp(join(tmpdir(), "healthmate-home-busy-"));
      const busy = await runToEnd("app/local/start.ts", [], { HEALTHMATE_HOME: otherHome });
      await rm(otherHome, { recursive: true, force: true });
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(new RegExp(`port ${ports.dynamodb} .*already in use.*HEALTHMATE_DYNAMODB_PORT`));

      expect(await stop(first)).toEqual({ code: 0, signal: null });
      expect(first.output()).toMatch(/stopped\./);
      expect(existsSync(join(home, "runtime.json"))).toBe(false);

      const restarted = await startRuntime();
      const again = await token("alice");
      expect(decodeJwt(again).sub).toBe(claims.sub);
      const clientAgain = await connectClient(new URL(restarted.info.mcpUrl), again);
      expect(await callOk(clientAgain, "GetUser")).toMatchObject({ username: "Alice", dateOfBirth: "1990-05-01", timezone: "Asia/Tokyo" });
      // Keys survive too: the token from before the restart is still accepted.
      const old = await connectClient(new URL(restarted.info.mcpUrl), accessToken);
      expect(await callOk(old, "GetUser")).toMatchObject({ username: "Alice" });
      await old.close();
      await clientAgain.close();

      expect(await stop(restarted)).toEqual({ code: 0, signal: null });
      expect(existsSync(join(home, "runtime.json"))).toBe(false);
    },
    120_000,
  );
});
