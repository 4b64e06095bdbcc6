import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { EdgeRouter, RouterFile, routerFilePath } from "../app/local/edge/routerHost";
import { startLocalRuntime } from "../app/local/runtime";
import { diffSynth, synthesizeWithState, type ResourceChange } from "../release/diff";
import { plan, type ReleaseCommand } from "../release/plan";
import { initialState, type ReleaseState } from "../release/state";
import { COHORT_COOKIE, Header } from "../modules/release/router/contract";
import { verdict } from "./stats";

/**
 * Release benchmarks (issue #3): time from `release:rollback` until 100 % of new requests are
 * served by stable at the local edge (target ≤ 1 s), canary command wall time, the router
 * function's size and mean execution time in Node, and the Terraform resources each plan touches
 * (target: aliases + KVS keys only).
 */
const CLI = ["--import", "tsx", "release/cli.ts"];

/** Runs a release command as its own process, asynchronously: the load keeps flowing meanwhile. */
function runCli(home: string, args: string[]): Promise<{ seconds: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...CLI, ...args, "--env", "local"], { env: { ...process.env, HEALTHMATE_HOME: home }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) =>
    child.on("close", (code) =>
      code === 0 ? resolve({ seconds: (performance.now() - started) / 1000, stdout }) : reject(new Error(`release ${args.join(" ")} failed (${code}): ${stderr}`)),
    ),
  );
}

async function colourOfNewVisitor(edgeUrl: string): Promise<string | null> {
  const response = await fetch(`${edgeUrl}/`);
  await response.arrayBuffer();
  return response.headers.get(Header.Colour);
}

async function routerNumbers(): Promise<void> {
  const sizes = [RouterFile.ViewerRequest, RouterFile.ViewerResponse].map((file) => `${path.basename(routerFilePath(file))} ${statSync(routerFilePath(file)).size} B`);
  const values: Record<string, string> = { canary_weight: "10", stable_colour: "blue", ui_version_blue: "1", ui_version_green: "2" };
  const router = new EdgeRouter({
    kvs: {
      get: async (key: string) => {
        if (!(key in values)) throw new Error(`no key ${key}`);
        return values[key] as string;
      },
      exists: async (key: string) => key in values,
    } as never,
  });
  const event = (i: number) =>
    ({
      version: "1.0",
      context: { eventType: "viewer-request" },
      viewer: { ip: "127.0.0.1" },
      request: { method: "GET", uri: i % 2 ? "/mcp" : "/index.html", querystring: {}, headers: {}, cookies: i % 3 ? { [COHORT_COOKIE]: { value: String(i % 100) } } : {} },
    }) as never;
  const runs = 50_000;
  for (let i = 0; i < 5_000; i++) await router.viewerRequest(event(i));
  const started = performance.now();
  for (let i = 0; i < runs; i++) await router.viewerRequest(event(i));
  const microseconds = ((performance.now() - started) * 1000) / runs;
  console.log(`  router: ${sizes.join(", ")} (limit 10 240 B); viewer-request mean ${microseconds.toFixed(1)} µs per request in Node (${runs} runs)`);
}

async function planTouches(): Promise<void> {
  const context = { now: new Date("2026-12-04T00:00:00Z"), actor: "bench@local" };
  const step = (state: ReleaseState, command: ReleaseCommand) => plan(state, command, context).next;
  const first = step(initialState("dev"), { kind: "stage", versions: { manager: "1", ui: "1" } });
  const staged = step(first, { kind: "stage", versions: { manager: "2", ui: "2" } });
  const canary = step(staged, { kind: "canary", weight: 10 });
  const cases: [string, ReleaseState, ReleaseState][] = [
    ["canary 10", staged, canary],
    ["rollback", canary, step(canary, { kind: "rollback" })],
    ["promote", canary, step(canary, { kind: "promote" })],
  ];
  const cache = mkdtempSync(path.join(tmpdir(), "healthmate-bench-bundles-"));
  try {
    const synthesized = new Map<ReleaseState, Awaited<ReturnType<typeof synthesizeWithState>>>();
    const synth = async (state: ReleaseState) => {
      if (!synthesized.has(state)) synthesized.set(state, await synthesizeWithState(state, { configEnv: { ...process.env }, bundleCacheDirectory: cache }));
      return synthesized.get(state)!;
    };
    for (const [label, before, after] of cases) {
      const changes: ResourceChange[] = diffSynth(await synth(before), await synth(after));
      const resources = [...new Set(changes.map((change) => `${change.stack}:${change.address}`))];
      const onlyAliasesAndKeys = resources.every((resource) => /aws_lambda_alias\.|aws_cloudfrontkeyvaluestore_key\./.test(resource));
      console.log(`  ${label.padEnd(9)} touches ${resources.length} resources: ${resources.join(", ")} (target aliases + KVS keys only: ${verdict(onlyAliasesAndKeys)})`);
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  console.log("\nRelease (local runtime, edge running the CloudFront router files)");
  const home = mkdtempSync(path.join(tmpdir(), "healthmate-bench-release-"));
  const runtime = await startLocalRuntime({ home, ports: { dynamodb: 0, oidc: 0, manager: 0, edge: 0 }, hostOutput: "ignore" });
  try {
    const edge = runtime.info.edgeUrl;
    await runCli(home, ["stage"]);
    const canaryRun = await runCli(home, ["canary", "50"]);
    console.log(`  release:canary wall time: ${canaryRun.seconds.toFixed(2)} s (node + tsx start-up included)`);

    // New visitors keep arriving while rollback runs; find when the last candidate response started.
    let stop = false;
    const samples: { at: number; colour: string | null }[] = [];
    const load = (async () => {
      while (!stop) {
        const at = performance.now();
        samples.push({ at, colour: await colourOfNewVisitor(edge) });
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = samples.filter((sample) => sample.colour !== "blue").length / samples.length;
    const started = performance.now();
    const rollback = await runCli(home, ["rollback"]);
    const returned = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    stop = true;
    await load;
    const stable = "blue";
    const lastCandidate = samples.filter((sample) => sample.colour !== stable).reduce((latest, sample) => Math.max(latest, sample.at), started);
    const allStableAfter = (lastCandidate - started) / 1000;
    const afterReturn = samples.filter((sample) => sample.at >= returned);
    console.log(
      `  rollback: 100 % of new requests on stable ${allStableAfter.toFixed(2)} s after the command started (command wall time ${rollback.seconds.toFixed(2)} s; ` +
        `${(before * 100).toFixed(0)} % of new visitors on the candidate before; ${afterReturn.filter((sample) => sample.colour !== stable).length} of ${afterReturn.length} after it returned) ` +
        `(target ≤ 1 s: ${verdict(allStableAfter <= 1)})`,
    );
  } finally {
    await runtime.stop();
    rmSync(home, { recursive: true, force: true });
  }
  await routerNumbers();
  await planTouches();
}
