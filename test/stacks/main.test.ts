import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { STACK_IDS } from "../../stacks/app";

// main.ts exactly as `cdktf synth` runs it (cdktf.json: "node --import tsx main.ts"), in fresh processes.

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
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

test("the staged manager bundle loads in plain Node and serves /healthz and the 404 route", () => {
  // The bundle leaves @aws-sdk/* to the Lambda runtime; here the project's node_modules provides it.
  symlinkSync(path.resolve("node_modules"), path.join(first.outdir, "node_modules"), "dir");
  const bundle = path.join(first.outdir, "bundles", "healthmate-manager-dev", "package", "index.mjs");
  const script = `
    const { handler } = await import(${JSON.stringify(bundle)});
    const event = (method, rawPath) => ({ rawPath, headers: { host: "abc.lambda-url.us-west-2.on.aws" }, requestContext: { http: { method }, domainName: "abc.lambda-url.us-west-2.on.aws" } });
    const health = await handler(event("GET", "/healthz"), { awsRequestId: "r-1" });
    const missing = await handler(event("GET", "/nope"), { awsRequestId: "r-2" });
    console.log(JSON.stringify({ health, missing }));
  `;
  const output = execFileSync(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], {
    env: {
      ...baseEnv(),
      AWS_REGION: "us-west-2",
      HEALTHMATE_ISSUER: "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example",
      HEALTHMATE_CLIENT_IDS: "client",
      HEALTHMATE_TABLES: JSON.stringify(Object.fromEntries(["users", "goals", "policies", "concerns", "activities", "bodyMeasurements", "journals", "observations"].map((key) => [key, `healthmate-${key}-dev`]))),
    },
    encoding: "utf8",
  });
  const { health, missing } = JSON.parse(output) as Record<string, { statusCode: number; headers: Record<string, string>; body: string }>;
  expect(health).toMatchObject({ statusCode: 200, body: JSON.stringify({ status: "ok" }) });
  expect(health?.headers["x-request-id"]).toBe("r-1");
  expect(missing?.statusCode).toBe(404);
});
