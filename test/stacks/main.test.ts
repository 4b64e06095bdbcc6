import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { STACK_IDS } from "../../stacks/app";

// main.ts exactly as `cdktf synth` runs it (cdktf.json: "node --import tsx main.ts"), in fresh processes.

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

// Outside `local` the configuration needs the origin secret CloudFront sends to the colour URLs.
const ORIGIN_SECRET = "test-origin-secret-0123456789abcdef0123456789";

const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, HEALTHMATE_ORIGIN_SECRET: ORIGIN_SECRET };
  return env;
};

function runMain(extraEnv: Record<string, string> = {}): { outdir: string; status: number | null; stderr: string } {
  const outdir = mkdtempSync(path.join(tmpdir(), "healthmate-main-"));
  outdirs.push(outdir);
  const result = spawnSync(process.execPath, ["--import", "tsx", "main.ts"], { env: { ...baseEnv(), CDKTF_OUTDIR: outdir, ...extraEnv }, encoding: "utf8" });
  return { outdir, status: result.status, stderr: result.stderr };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? filesUnder(full) : [full];
    });
}

let first: ReturnType<typeof runMain>;
beforeAll(() => {
  first = runMain();
});

test("main.ts synthesizes the three stacks", () => {
  expect(first.stderr).toBe("");
  expect(first.status).toBe(0);
  expect(readdirSync(path.join(first.outdir, "stacks")).sort()).toEqual([...STACK_IDS].sort());
});

test("a second process produces byte-identical stacks and deployment package (deterministic bundle)", () => {
  const second = runMain();
  expect(second.status).toBe(0);
  const snapshot = (dir: string) => filesUnder(path.join(dir, "stacks")).map((file) => [path.relative(dir, file), readFileSync(file).toString("base64")]);
  expect(snapshot(second.outdir)).toEqual(snapshot(first.outdir));
});

test("invalid configuration stops synth with a message naming the value and what is allowed", () => {
  const bad = runMain({ HEALTHMATE_ENV: "qa" });
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain("HEALTHMATE_ENV must be one of local, dev, stage, prod, got 'qa'");
});

test("without the origin secret, synth outside local stops and says how to make one", () => {
  const bad = runMain({ HEALTHMATE_ORIGIN_SECRET: "" });
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain("HEALTHMATE_ORIGIN_SECRET is required for dev");
});

test("HEALTHMATE_RELEASE_STATE_FILE renders that state; a state bucket without it stops synth", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "healthmate-main-state-"));
  outdirs.push(dir);
  const file = path.join(dir, "dev.json");
  const state = { schemaVersion: 1, environment: "dev", revision: 3, stableColour: "blue", canaryWeight: 10, services: { manager: { blue: "4", green: "5" } }, history: [] };
  writeFileSync(file, JSON.stringify(state));
  const run = runMain({ HEALTHMATE_RELEASE_STATE_FILE: file });
  expect(run.stderr).toBe("");
  const manager = JSON.parse(readFileSync(path.join(run.outdir, "stacks", "manager", "cdk.tf.json"), "utf8")) as { resource: Record<string, Record<string, Record<string, unknown>>> };
  const live = Object.values(manager.resource.aws_lambda_alias ?? {}).find((alias) => alias.name === "live");
  expect(live).toMatchObject({ function_version: "4", routing_config: { additional_version_weights: { "5": 0.1 } } });

  const remote = runMain({ HEALTHMATE_STATE_BUCKET: "acme-terraform-state" });
  expect(remote.status).not.toBe(0);
  expect(remote.stderr).toContain("s3://acme-terraform-state/healthmate/dev/release-state.json");
  expect(remote.stderr).toContain("HEALTHMATE_RELEASE_STATE_FILE");
});

test("the staged manager bundle loads in plain Node, serves /healthz and the 404 route, and guards the colour aliases", () => {
  // The bundle leaves @aws-sdk/* to the Lambda runtime; here the project's node_modules provides it.
  symlinkSync(path.resolve("node_modules"), path.join(first.outdir, "node_modules"), "dir");
  const bundle = path.join(first.outdir, "bundles", "healthmate-manager-dev", "package", "index.mjs");
  const script = `
    const { handler } = await import(${JSON.stringify(bundle)});
    const event = (method, rawPath, secret) => ({ rawPath, headers: { host: "abc.lambda-url.us-west-2.on.aws", ...(secret ? { "x-healthmate-origin-secret": secret } : {}) }, requestContext: { http: { method }, domainName: "abc.lambda-url.us-west-2.on.aws" } });
    const blue = (awsRequestId) => ({ awsRequestId, invokedFunctionArn: "arn:aws:lambda:us-west-2:123456789012:function:healthmate-manager-dev:blue" });
    const health = await handler(event("GET", "/healthz", ${JSON.stringify(ORIGIN_SECRET)}), blue("r-1"));
    const missing = await handler(event("GET", "/nope", ${JSON.stringify(ORIGIN_SECRET)}), blue("r-2"));
    const refused = await handler(event("GET", "/healthz"), blue("r-3"));
    console.log(JSON.stringify({ health, missing, refused }));
  `;
  const output = execFileSync(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], {
    env: {
      ...baseEnv(),
      AWS_REGION: "us-west-2",
      HEALTHMATE_ISSUER: "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example",
      HEALTHMATE_CLIENT_IDS: "client",
      HEALTHMATE_ORIGIN_OPEN_ALIASES: "live",
      AWS_LAMBDA_FUNCTION_VERSION: "7",
      HEALTHMATE_TABLES: JSON.stringify(Object.fromEntries(["users", "goals", "policies", "concerns", "activities", "bodyMeasurements", "journals", "observations"].map((key) => [key, `healthmate-${key}-dev`]))),
    },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"], // the refused request logs a warning to stderr
  });
  const { health, missing, refused } = JSON.parse(output) as Record<string, { statusCode: number; headers: Record<string, string>; body: string }>;
  expect(health).toMatchObject({ statusCode: 200, body: JSON.stringify({ status: "ok" }) });
  expect(health?.headers).toMatchObject({ "x-request-id": "r-1", "x-healthmate-version": "7" });
  expect(missing?.statusCode).toBe(404);
  expect(refused?.statusCode).toBe(403);
});
