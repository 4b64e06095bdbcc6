import { TerraformStack } from "cdktf";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildUi, UI_ENTRY } from "../../app/ui/build";
import { AwsAccount } from "../../modules/account";
import { Environment } from "../../modules/config";
import { uiBucketName, UiReleaseBucket } from "../../modules/site";
import { awsApplier, deployArgs, type AwsApplierProps, type CommandRunner, type LambdaVersionsApi } from "../../release/apply/aws";
import { CACHE_CONTROL, contentTypeFor } from "../../app/ui/serving";
import { accountIdFromArn, accountIdFromFunction, uiPublisher, uiVersionId, type UiBucketApi } from "../../release/apply/ui";
import { ExitCode } from "../../release/cli";
import { ReleaseError, ReleaseErrorCode } from "../../release/errors";
import { plan, type ReleaseCommand } from "../../release/plan";
import { initialState, versionSchema, type ReleaseState } from "../../release/state";
import { Template, testApp } from "../support/template";
import { awsCli, fakeSynth, type AwsCliHarness } from "./support/fakes";

/**
 * release:stage on AWS uploads the UI build (release/apply/ui.ts) with an in-memory S3 that has
 * S3's conditional-write semantics: every file of a real buildUi output under
 * releases/<version>/, content types, cache headers, IfNoneMatch on every put, an existing
 * version refused, and the AWS applier staging `ui` beside the manager.
 */
const NOW = new Date("2026-12-04T16:55:12.345Z");
const VERSION = "20261204.165512";
const BUCKET = "healthmate-ui-dev-123456789012-us-west-2";

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "healthmate-ui-upload-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = (name: string) => {
  const dir = path.join(root, `${name}-${++dirs}`);
  mkdirSync(dir);
  return dir;
};

type PutInput = Parameters<UiBucketApi["putObject"]>[0];
interface FakeS3 extends UiBucketApi {
  readonly objects: Map<string, PutInput>;
  readonly puts: PutInput[];
  readonly lists: Parameters<UiBucketApi["listObjectsV2"]>[0][];
  /** Keys another writer creates between the folder check and our put (a concurrent stage). */
  readonly appearing: Set<string>;
  /** Key whose put fails with this error (any other failure than a precondition). */
  failing?: { key: string; error: Error };
}

const s3Error = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

/** An in-memory bucket: records puts; `IfNoneMatch: "*"` on an existing key → 412 PreconditionFailed, as S3 answers. */
function fakeS3(existing: string[] = []): FakeS3 {
  const objects = new Map<string, PutInput>(existing.map((Key) => [Key, { Bucket: BUCKET, Key, Body: new Uint8Array(), ContentType: "x", CacheControl: "x", IfNoneMatch: "*" }]));
  const fake: FakeS3 = {
    objects,
    puts: [],
    lists: [],
    appearing: new Set(),
    listObjectsV2: async (input) => {
      fake.lists.push(input);
      const keys = [...objects.keys()].filter((key) => key.startsWith(input.Prefix)).slice(0, input.MaxKeys ?? 1000);
      return { KeyCount: keys.length, Contents: keys.map((Key) => ({ Key })) };
    },
    putObject: async (input) => {
      expect(input.Bucket).toBe(BUCKET);
      fake.puts.push(input);
      if (fake.failing?.key === input.Key) throw fake.failing.error;
      if (fake.appearing.has(input.Key)) objects.set(input.Key, input);
      if (input.IfNoneMatch === "*" && objects.has(input.Key)) throw s3Error("PreconditionFailed", 412);
      objects.set(input.Key, input);
      return { ETag: `"${fake.puts.length}"` };
    },
  };
  return fake;
}

const io = () => {
  const lines: string[] = [];
  return { lines, progress: (line: string) => void lines.push(line) };
};

/** A publisher with the real buildUi (counting its calls) and a temp root the test can inspect. */
function publisher(s3: FakeS3, at: Date = NOW) {
  const tempDir = newDir("temp");
  const builds: string[] = [];
  const publish = uiPublisher({
    s3,
    bucket: BUCKET,
    buildUi: async (options) => {
      builds.push(options.version);
      return buildUi(options);
    },
    clock: () => at,
    tempDir,
  });
  return { publish, tempDir, builds };
}

/** The files of a real build of `version`, by relative path. */
async function referenceBuild(version: string): Promise<Map<string, Buffer>> {
  const outDir = newDir("reference");
  const build = await buildUi({ outDir, version });
  return new Map(Object.keys(build.files).map((file) => [file, readFileSync(path.join(outDir, file))]));
}

describe("uiPublisher", () => {
  test("uploads every file of the build under releases/<version>/, conditionally, with content types and cache headers", async () => {
    const s3 = fakeS3();
    const { publish, tempDir, builds } = publisher(s3);
    const out = io();
    expect(await publish(out)).toBe(VERSION);
    expect(builds).toEqual([VERSION]);

    const expected = await referenceBuild(VERSION);
    expect(expected.size).toBeGreaterThanOrEqual(4);
    expect(s3.puts.map((put) => put.Key).sort()).toEqual([...expected.keys()].map((file) => `releases/${VERSION}/${file}`).sort());
    for (const put of s3.puts) {
      const file = put.Key.slice(`releases/${VERSION}/`.length);
      expect(Buffer.from(put.Body).equals(expected.get(file) as Buffer)).toBe(true);
      expect(put.IfNoneMatch).toBe("*");
      expect(put.CacheControl).toBe(file === UI_ENTRY ? "no-cache" : "public, max-age=300, s-maxage=31536000");
    }
    expect(Object.fromEntries(s3.puts.map((put) => [put.Key.slice(`releases/${VERSION}/`.length), put.ContentType]))).toEqual({
      "assets/app.css": "text/css; charset=utf-8",
      "assets/app.js": "text/javascript; charset=utf-8",
      "healthz.json": "application/json",
      "index.html": "text/html; charset=utf-8",
    });
    // The build stamps the version it is uploaded as; the entry page goes last.
    expect(Buffer.from(s3.puts.at(-1)?.Body ?? []).toString()).toContain(`<meta name="healthmate-version" content="${VERSION}">`);
    expect(s3.puts.at(-1)?.Key).toBe(`releases/${VERSION}/index.html`);
    // The folder was checked before the build, and the temp build folder is gone.
    expect(s3.lists).toEqual([{ Bucket: BUCKET, Prefix: `releases/${VERSION}/`, MaxKeys: 1 }]);
    expect(readdirSync(tempDir)).toEqual([]);
    expect(out.lines[0]).toBe(`ui: new version ${VERSION}; checking that s3://${BUCKET}/releases/${VERSION}/ does not exist yet`);
    expect(out.lines).toContain(`ui: uploading 4 file(s) to s3://${BUCKET}/releases/${VERSION}/`);
    expect(out.lines).toContain("ui:   assets/app.css (text/css; charset=utf-8, " + String(expected.get("assets/app.css")?.byteLength) + " B)");
    expect(out.lines.at(-1)).toBe(`ui: uploaded version ${VERSION} (4 file(s))`);
  });

  test("an existing version folder is refused before anything is built or uploaded", async () => {
    const s3 = fakeS3([`releases/${VERSION}/index.html`, "releases/20261204.165511/index.html"]);
    const { publish, tempDir, builds } = publisher(s3);
    const error = await publish(io()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReleaseError);
    expect((error as ReleaseError).code).toBe(ReleaseErrorCode.ApplyFailed);
    expect((error as Error).message).toBe(
      `s3://${BUCKET}/releases/${VERSION}/ already exists and UI versions are immutable: refusing to overwrite it; nothing was uploaded and the release state is unchanged. ` +
        "Version ids are per second: run release:stage again",
    );
    expect(s3.puts).toEqual([]);
    expect(builds).toEqual([]);
    expect(readdirSync(tempDir)).toEqual([]);
    // The neighbouring version does not count: a second later is a new, free folder.
    await expect(publisher(fakeS3(["releases/20261204.165511/index.html"])).publish(io())).resolves.toBe(VERSION);
  });

  test("an object that appears during the upload (412) stops it: nothing is overwritten, nothing more uploaded", async () => {
    const s3 = fakeS3();
    s3.appearing.add(`releases/${VERSION}/assets/app.js`);
    const { publish, tempDir } = publisher(s3);
    const error = await publish(io()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ReleaseErrorCode.ApplyFailed });
    expect((error as Error).message).toBe(
      `s3://${BUCKET}/releases/${VERSION}/assets/app.js already exists (another release:stage is uploading version ${VERSION}?) and UI versions are immutable: refusing to overwrite it; ` +
        "1 of 4 file(s) were uploaded before, none after; the release state is unchanged: run release:stage again for a new version",
    );
    expect(s3.puts.map((put) => put.Key)).toEqual([`releases/${VERSION}/assets/app.css`, `releases/${VERSION}/assets/app.js`]);
    expect(s3.objects.get(`releases/${VERSION}/assets/app.js`)?.IfNoneMatch).toBe("*");
    expect(s3.objects.has(`releases/${VERSION}/index.html`)).toBe(false);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  test("any other S3 failure names the object and how far the upload got; the temp folder is removed", async () => {
    const s3 = fakeS3();
    s3.failing = { key: `releases/${VERSION}/healthz.json`, error: s3Error("AccessDenied", 403) };
    const { publish, tempDir } = publisher(s3);
    const error = await publish(io()).catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(ReleaseError);
    expect((error as Error).message).toBe(`uploading healthz.json to s3://${BUCKET}/releases/${VERSION}/healthz.json failed after 2 of 4 file(s): AccessDenied; the release state is unchanged`);
    expect((error as Error).cause).toBe(s3.failing.error);
    expect(s3.puts).toHaveLength(3);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  test("a build without index.html is refused before any upload", async () => {
    const s3 = fakeS3();
    const tempDir = newDir("temp");
    const publish = uiPublisher({ s3, bucket: BUCKET, buildUi: async ({ outDir, version }) => ({ outDir, version, files: {} }), clock: () => NOW, tempDir });
    await expect(publish(io())).rejects.toMatchObject({ code: ReleaseErrorCode.ApplyFailed, message: `the UI build of version ${VERSION} has no index.html (files: none); nothing was uploaded` });
    expect(s3.puts).toEqual([]);
    expect(readdirSync(tempDir)).toEqual([]);
  });
});

describe("version ids, content types, cache headers, bucket name", () => {
  test("a version id is YYYYMMDD.HHMMSS in UTC: valid for the state, fixed width, sorted as made", () => {
    expect(uiVersionId(NOW)).toBe(VERSION);
    expect(uiVersionId(new Date("2027-01-02T03:04:05.999Z"))).toBe("20270102.030405");
    expect(uiVersionId(new Date("2026-12-05T01:00:00+02:00"))).toBe("20261204.230000");
    const times = ["2026-12-04T09:59:59Z", "2026-12-04T10:00:00Z", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z", "2030-10-10T10:10:10Z"];
    const ids = times.map((time) => uiVersionId(new Date(time)));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^\d{8}\.\d{6}$/);
      expect(versionSchema.safeParse(id).success).toBe(true);
    }
  });

  test("content types by extension (case-insensitive), application/octet-stream for anything else", () => {
    expect(
      Object.fromEntries(["a.html", "a.css", "a.js", "a.json", "a.svg", "a.png", "favicon.ico", "robots.txt", "assets/app.js.map", "A.HTML", "font.bin", "LICENSE"].map((file) => [file, contentTypeFor(file)])),
    ).toEqual({
      "a.html": "text/html; charset=utf-8",
      "a.css": "text/css; charset=utf-8",
      "a.js": "text/javascript; charset=utf-8",
      "a.json": "application/json",
      "a.svg": "image/svg+xml",
      "a.png": "image/png",
      "favicon.ico": "image/x-icon",
      "robots.txt": "text/plain; charset=utf-8",
      "assets/app.js.map": "application/json",
      "A.HTML": "text/html; charset=utf-8",
      "font.bin": "application/octet-stream",
      LICENSE: "application/octet-stream",
    });
    expect(CACHE_CONTROL).toEqual({ entry: "no-cache", file: "public, max-age=300, s-maxage=31536000" });
  });

  test("the bucket name follows the ui stack's rule (UiReleaseBucket synthesizes the same name)", () => {
    expect(uiBucketName("dev", "123456789012", "us-west-2")).toBe(BUCKET);
    expect(uiBucketName(Environment.PROD, "210987654321", "eu-central-1")).toBe("healthmate-ui-prod-210987654321-eu-central-1");

    const test = testApp();
    try {
      const stack = new TerraformStack(test.app, "test");
      const account = new AwsAccount(stack, "account", { region: "eu-west-1" });
      new UiReleaseBucket(stack, "bucket", { environment: Environment.STAGE, account });
      const synthesized = Template.fromStack(stack).onlyResource("aws_s3_bucket").bucket as string;
      const accountToken = /\$\{data\.aws_caller_identity\.[^}]+\.account_id\}/.exec(synthesized)?.[0];
      expect(accountToken).toBeDefined();
      expect(synthesized).toBe(uiBucketName("stage", accountToken as string, "eu-west-1"));
    } finally {
      test.cleanup();
    }
  });

  test("the account id comes from the function ARN; a missing function says how to name the bucket", async () => {
    expect(accountIdFromArn("arn:aws:lambda:us-west-2:123456789012:function:healthmate-manager-dev:7")).toBe("123456789012");
    expect(() => accountIdFromArn("arn:aws:lambda:us-west-2::function:x")).toThrow("is not an ARN with an account id");
    expect(() => accountIdFromArn("healthmate-manager-dev")).toThrow("is not an ARN with an account id");

    const calls: Parameters<LambdaVersionsApi["listVersionsByFunction"]>[0][] = [];
    const lambda = (answer: () => Promise<Awaited<ReturnType<LambdaVersionsApi["listVersionsByFunction"]>>>): LambdaVersionsApi => ({
      listVersionsByFunction: async (input) => {
        calls.push(input);
        return answer();
      },
    });
    const found = lambda(async () => ({ Versions: [{ Version: "$LATEST", FunctionArn: "arn:aws:lambda:us-west-2:123456789012:function:healthmate-manager-dev:$LATEST" }] }));
    expect(await accountIdFromFunction(found, "healthmate-manager-dev")).toBe("123456789012");
    expect(calls).toEqual([{ FunctionName: "healthmate-manager-dev", MaxItems: 1 }]);

    await expect(accountIdFromFunction(lambda(async () => Promise.reject(new Error("Function not found"))), "healthmate-manager-dev")).rejects.toMatchObject({
      code: ReleaseErrorCode.ApplyFailed,
      message:
        "cannot tell the AWS account id of the UI bucket from Lambda function healthmate-manager-dev (Function not found); set HEALTHMATE_UI_BUCKET to the ui stack's bucket name (its output UiBucketName)",
    });
    await expect(accountIdFromFunction(lambda(async () => ({ Versions: [] })), "healthmate-manager-dev")).rejects.toMatchObject({
      message: expect.stringContaining("Lambda function healthmate-manager-dev has no version ARN with an account id; set HEALTHMATE_UI_BUCKET"),
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The AWS applier with publishUi (fakes in the style of test/release/aws.test.ts)

const context = { now: NOW, actor: "ops@host" };
const stateAfter = (...commands: ReleaseCommand[]): ReleaseState => commands.reduce((state, command) => plan(state, command, context).next, initialState("dev"));

interface Deploy {
  readonly args: readonly string[];
  readonly state: ReleaseState;
}
function fakeRunner(): CommandRunner & { deploys: Deploy[] } {
  const deploys: Deploy[] = [];
  return {
    deploys,
    run: async (_command, args, options) => {
      deploys.push({ args, state: JSON.parse(readFileSync(options.env.HEALTHMATE_RELEASE_STATE_FILE as string, "utf8")) as ReleaseState });
      return { exitCode: 0 };
    },
  };
}
const fakeLambda = (versions: string[]): LambdaVersionsApi => ({ listVersionsByFunction: async () => ({ Versions: versions.map((Version) => ({ Version })) }) });

function applierProps(s3: FakeS3, lambdaVersions: string[]): AwsApplierProps & { runner: ReturnType<typeof fakeRunner> } {
  return {
    environment: "dev",
    runner: fakeRunner(),
    alarms: { describeAlarms: async () => ({ MetricAlarms: [] }) },
    lambda: fakeLambda(lambdaVersions),
    synthesize: async (state) => fakeSynth(state),
    projectRoot: "/project",
    deployEnv: {},
    clock: () => NOW,
    sleep: async () => undefined,
    publishUi: publisher(s3).publish,
  };
}

function cli(props: AwsApplierProps, initial?: ReleaseState): AwsCliHarness {
  return awsCli(props, path.join(newDir("cli"), "dev.json"), { now: NOW, initial });
}

describe("stage on AWS with the UI", () => {
  test("stage returns the uploaded UI version beside the manager's, and ui is a staged service", async () => {
    const s3 = fakeS3();
    const props = applierProps(s3, ["$LATEST", "3", "12"]);
    const applier = awsApplier(props);
    const state = stateAfter({ kind: "stage", versions: { manager: "3", ui: "20261201.080000" } });
    expect(applier.stageServices(state)).toEqual(["manager", "ui"]);
    const result = await applier.stage(state, io());
    expect(result.versions).toEqual({ manager: "12", ui: VERSION });
    expect(result.notes ?? []).toEqual([]);
    // Published first (the function stack), then the UI upload.
    expect(props.runner.deploys.map((deploy) => deploy.args)).toEqual([deployArgs(["manager"])]);
    expect(s3.puts).toHaveLength(4);
  });

  test("stage --yes: the new UI version goes into the candidate slot and the ui stack is deployed too", async () => {
    const s3 = fakeS3();
    const props = applierProps(s3, ["1", "2", "3"]);
    // Version 2 and UI build 20261201.080000 are stable in blue: the new ones go into green.
    const h = cli(props, stateAfter({ kind: "stage", versions: { manager: "2", ui: "20261201.080000" } }));
    expect(await h.run("stage", "--env", "dev", "--yes")).toBe(ExitCode.Ok);
    expect(h.state().services).toEqual({ manager: { blue: "2", green: "3" }, ui: { blue: "20261201.080000", green: VERSION } });
    expect(h.state().stableColour).toBe("blue");
    expect(h.state().canaryWeight).toBe(0);
    expect(props.runner.deploys.map((deploy) => [deploy.args, deploy.state.revision])).toEqual([
      [deployArgs(["manager"]), 1],
      [deployArgs(["manager", "ui"]), 2],
    ]);
    expect(props.runner.deploys[1]?.state.services.ui).toEqual({ blue: "20261201.080000", green: VERSION });
    expect(s3.puts.every((put) => put.Key.startsWith(`releases/${VERSION}/`))).toBe(true);
    expect(h.out()).toContain(`dev revision 2: staged manager 3 in green, ui ${VERSION} in green at weight 0; blue stays stable`);
    expect(h.err()).toContain(`ui: uploaded version ${VERSION} (4 file(s))`);
    expect(h.err()).not.toContain("the UI build is not uploaded");
  });

  test("stage --yes on a fresh environment: the first UI version goes into the stable colour", async () => {
    const s3 = fakeS3();
    const props = applierProps(s3, ["1"]);
    const h = cli(props);
    expect(await h.run("stage", "--env", "dev", "--yes")).toBe(ExitCode.Ok);
    expect(h.state().services).toEqual({ manager: { blue: "1", green: null }, ui: { blue: VERSION, green: null } });
    expect(props.runner.deploys.map((deploy) => deploy.args)).toEqual([deployArgs(["manager"]), deployArgs(["manager", "ui"])]);
  });

  test("an existing UI version: stage fails with exit 8, the state is unchanged and nothing is uploaded", async () => {
    const s3 = fakeS3([`releases/${VERSION}/index.html`]);
    const props = applierProps(s3, ["1", "2", "3"]);
    const initial = stateAfter({ kind: "stage", versions: { manager: "2", ui: "20261201.080000" } });
    const h = cli(props, initial);
    expect(await h.run("stage", "--env", "dev", "--yes")).toBe(ExitCode.ApplyFailed);
    expect(h.state()).toEqual(initial);
    expect(s3.puts).toEqual([]);
    expect(h.err()).toContain(`s3://${BUCKET}/releases/${VERSION}/ already exists and UI versions are immutable`);
    expect(props.runner.deploys.map((deploy) => deploy.args)).toEqual([deployArgs(["manager"])]);
  });
});
