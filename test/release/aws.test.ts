import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { alarmNamePrefix, awsApplier, deployArgs, type AwsApplierProps, type CloudWatchAlarmsApi, type CommandRunner, type LambdaVersionsApi } from "../../release/apply/aws";
import { ExitCode } from "../../release/cli";
import { affectedStacks, diffSynth, synthesizeWithState } from "../../release/diff";
import { ReleaseError, ReleaseErrorCode, StateConflictError } from "../../release/errors";
import { plan, type ReleaseCommand } from "../../release/plan";
import { initialState, type ReleaseState } from "../../release/state";
import { S3StateStore, type S3ObjectApi } from "../../release/store";
import { awsCli, fakeSynth, type AwsCliHarness } from "./support/fakes";

/**
 * The AWS path with injected clients and command runner (no AWS here): which stacks a plan
 * deploys, the alarm gate, --watch rolling back, stage publishing, and the S3 store's
 * conditional writes. What only AWS can show is listed in release/apply/aws.ts.
 */
const NOW = new Date("2026-12-04T10:00:00.000Z");
const context = { now: NOW, actor: "ops@host" };

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "healthmate-release-aws-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function stateAfter(...commands: ReleaseCommand[]): ReleaseState {
  return commands.reduce((state, command) => plan(state, command, context).next, initialState("dev"));
}
/** Version 6 stable in blue (a service's first version goes there), version 7 staged in green. */
const stagedState = () => stateAfter({ kind: "stage", versions: { manager: "6", ui: "6" } }, { kind: "stage", versions: { manager: "7", ui: "7" } });

interface Deploy {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The release state main.ts would have read (HEALTHMATE_RELEASE_STATE_FILE) during the run. */
  readonly state: ReleaseState;
}

/** Records deploys; exit codes come from `exitCodes` in order (default 0). */
function fakeRunner(exitCodes: number[] = []): CommandRunner & { deploys: Deploy[] } {
  const deploys: Deploy[] = [];
  return {
    deploys,
    run: async (command, args, options) => {
      expect(command).toBe("npx");
      const file = options.env.HEALTHMATE_RELEASE_STATE_FILE as string;
      deploys.push({ args, env: options.env, state: JSON.parse(readFileSync(file, "utf8")) as ReleaseState });
      options.onOutput("manager  Creating...\nmanager  Apply complete!\n");
      return { exitCode: exitCodes.shift() ?? 0 };
    },
  };
}

type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";
/** Alarms by name; `script` (if given) replaces the states call by call. */
function fakeAlarms(initial: Record<string, AlarmState>, script: Record<string, AlarmState>[] = []): CloudWatchAlarmsApi & { prefixes: string[] } {
  const prefixes: string[] = [];
  let alarms = initial;
  return {
    prefixes,
    describeAlarms: async ({ AlarmNamePrefix, NextToken }) => {
      prefixes.push(AlarmNamePrefix ?? "");
      if (!NextToken) alarms = script.shift() ?? alarms;
      const matching = Object.entries(alarms).filter(([name]) => name.startsWith(AlarmNamePrefix ?? ""));
      // Two per page, to exercise NextToken.
      const start = NextToken ? Number(NextToken) : 0;
      const page = matching.slice(start, start + 2).map(([AlarmName, StateValue]) => ({ AlarmName, StateValue }));
      return { MetricAlarms: page, NextToken: start + 2 < matching.length ? String(start + 2) : undefined };
    },
  };
}

const greenAlarms = (state: AlarmState = "OK"): Record<string, AlarmState> => ({
  "healthmate-manager-dev-green-errors": state,
  "healthmate-manager-dev-green-throttles": "OK",
  "healthmate-manager-dev-green-duration-p99": "INSUFFICIENT_DATA",
  "healthmate-manager-dev-blue-errors": "ALARM",
});

function fakeLambda(versions: string[]): LambdaVersionsApi & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    listVersionsByFunction: async ({ FunctionName, Marker }) => {
      calls.push(FunctionName);
      const start = Marker ? Number(Marker) : 0;
      const page = versions.slice(start, start + 2).map((Version) => ({ Version }));
      return { Versions: page, NextMarker: start + 2 < versions.length ? String(start + 2) : undefined };
    },
  };
}

function applierProps(overrides: Partial<AwsApplierProps> = {}): AwsApplierProps & { slept: number[] } {
  const slept: number[] = [];
  let clock = NOW.getTime();
  return {
    slept,
    environment: "dev",
    runner: fakeRunner(),
    alarms: fakeAlarms(greenAlarms()),
    lambda: fakeLambda(["$LATEST", "1"]),
    synthesize: async (state) => fakeSynth(state),
    projectRoot: "/project",
    deployEnv: { AWS_PROFILE: "ops" },
    clock: () => new Date(clock),
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
    pollIntervalMs: 30_000,
    ...overrides,
  };
}

const io = () => {
  const lines: string[] = [];
  return { lines, progress: (line: string) => void lines.push(line) };
};

describe("diffSynth", () => {
  test("reports changed leaf attributes, created and deleted resources, and ignores cdktf metadata", () => {
    const before = { app: { resource: { aws_x: { a: { value: "1", tags: { keep: "y" }, "//": { metadata: { path: "old" } } }, gone: { n: 1 } }, aws_list: { l: { items: [1, 2] } } } } };
    const after = { app: { resource: { aws_x: { a: { value: "2", tags: { keep: "y" }, "//": { metadata: { path: "new" } } }, added: { n: 2 } }, aws_list: { l: { items: [1, 3] } } } } };
    expect(diffSynth(before, after)).toEqual([
      { stack: "app", address: "aws_x.a", action: "update", attribute: "value", before: "1", after: "2" },
      { stack: "app", address: "aws_x.gone", action: "delete", attribute: "", before: { n: 1 }, after: undefined },
      { stack: "app", address: "aws_list.l", action: "update", attribute: "items.1", before: 2, after: 3 },
      { stack: "app", address: "aws_x.added", action: "create", attribute: "", before: undefined, after: { n: 2 } },
    ]);
    expect(diffSynth(before, before)).toEqual([]);
  });

  test("canary, promote and rollback touch aliases and KVS keys only; never the distribution", () => {
    const staged = stagedState();
    for (const command of [{ kind: "canary", weight: 10 }, { kind: "promote" }, { kind: "rollback" }] as ReleaseCommand[]) {
      const from = command.kind === "canary" ? staged : plan(staged, { kind: "canary", weight: 10 }, context).next;
      const changes = diffSynth(fakeSynth(from), fakeSynth(plan(from, command, context).next));
      expect(affectedStacks(changes)).toEqual(["manager", "ui"]);
      expect(new Set(changes.map((change) => change.address.split(".")[0]))).toEqual(new Set(["aws_lambda_alias", "aws_cloudfrontkeyvaluestore_key"]));
    }
  });
});

describe("reconcile: deploys only the affected stacks, rendering the saved state", () => {
  test("a canary deploys manager and ui with the new state file", async () => {
    const props = applierProps();
    const runner = props.runner as ReturnType<typeof fakeRunner>;
    const planned = plan(stagedState(), { kind: "canary", weight: 10 }, context);
    const out = io();
    expect(await awsApplier(props).reconcile(planned, out)).toBe("deployed manager, ui");
    expect(runner.deploys).toHaveLength(1);
    expect(runner.deploys[0]?.args).toEqual(["cdktf", "deploy", "manager", "ui", "--auto-approve", "--ignore-missing-stack-dependencies"]);
    expect(runner.deploys[0]?.env).toMatchObject({ AWS_PROFILE: "ops", HEALTHMATE_ENV: "dev" });
    expect(runner.deploys[0]?.state).toEqual(planned.next);
    expect(existsSync(runner.deploys[0]?.env.HEALTHMATE_RELEASE_STATE_FILE as string)).toBe(false);
    expect(out.lines).toContain("  manager  Apply complete!");
  });

  test.each([
    ["a later UI version (into the candidate)", () => stateAfter({ kind: "stage", versions: { ui: "4" } })],
    ["the first UI version (into the stable colour)", () => initialState("dev")],
  ])("staging only the UI deploys only the ui stack: %s", async (_name, from) => {
    const props = applierProps();
    const planned = plan(from(), { kind: "stage", versions: { ui: "5" } }, context);
    await awsApplier(props).reconcile(planned, io());
    expect((props.runner as ReturnType<typeof fakeRunner>).deploys.map((deploy) => deploy.args)).toEqual([deployArgs(["ui"])]);
  });

  test("no resource change: no deploy", async () => {
    const props = applierProps({ synthesize: async () => fakeSynth(initialState("dev")) });
    expect(await awsApplier(props).reconcile(plan(stagedState(), { kind: "canary", weight: 10 }, context), io())).toBe("no Terraform resource changes: nothing to deploy");
    expect((props.runner as ReturnType<typeof fakeRunner>).deploys).toEqual([]);
  });

  test("a failed deploy says the state is saved and how to reconcile", async () => {
    const props = applierProps({ runner: fakeRunner([1]) });
    const error = await awsApplier(props)
      .reconcile(plan(stagedState(), { kind: "canary", weight: 10 }, context), io())
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ReleaseErrorCode.ApplyFailed });
    expect((error as Error).message).toContain("the state is saved (revision 3) but cdktf deploy manager ui failed (exit 1)");
    expect((error as Error).message).toContain("HEALTHMATE_ENV=dev npx cdktf deploy manager ui --auto-approve --ignore-missing-stack-dependencies");
  });
});

describe("alarm gate", () => {
  test("alarm names: healthmate-<service>-<env>-<colour>-", () => {
    expect(alarmNamePrefix("manager", "prod", "green")).toBe("healthmate-manager-prod-green-");
  });

  test("refuses to raise the weight while a candidate alarm fires (pages through all alarms)", async () => {
    const alarms = fakeAlarms(greenAlarms("ALARM"));
    const error = await awsApplier(applierProps({ alarms }))
      .preflight(plan(stagedState(), { kind: "canary", weight: 10 }, context), io())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReleaseError);
    expect((error as ReleaseError).code).toBe(ReleaseErrorCode.AlarmFiring);
    expect((error as ReleaseError).message).toBe("refusing to raise green's traffic: 1 alarm(s) firing: healthmate-manager-dev-green-errors; investigate, or run release:rollback");
    expect(alarms.prefixes).toEqual(["healthmate-manager-dev-green-", "healthmate-manager-dev-green-"]);
  });

  test("promote is gated too; rollback and lowering the weight never are (the stable colour's alarm does not count)", async () => {
    const firing = awsApplier(applierProps({ alarms: fakeAlarms(greenAlarms("ALARM")) }));
    const running = plan(stagedState(), { kind: "canary", weight: 50 }, context).next;
    await expect(firing.preflight(plan(running, { kind: "promote" }, context), io())).rejects.toMatchObject({ code: ReleaseErrorCode.AlarmFiring });
    await expect(firing.preflight(plan(running, { kind: "rollback" }, context), io())).resolves.toBeUndefined();
    await expect(firing.preflight(plan(running, { kind: "canary", weight: 5 }, context), io())).resolves.toBeUndefined();
    // blue-errors is in ALARM in greenAlarms(): it is the stable colour, not the candidate.
    await expect(awsApplier(applierProps()).preflight(plan(stagedState(), { kind: "canary", weight: 10 }, context), io())).resolves.toBeUndefined();
  });

  test("no alarm under the prefix is a warning, not a pass in silence", async () => {
    const out = io();
    await awsApplier(applierProps({ alarms: fakeAlarms({}) })).preflight(plan(stagedState(), { kind: "canary", weight: 10 }, context), out);
    expect(out.lines).toContain("warning: no CloudWatch alarm is named healthmate-manager-dev-green-*: there is nothing to check for manager green");
  });
});

describe("stage on AWS", () => {
  test("deploys the function stack with the current state first, then records the highest published version", async () => {
    const lambda = fakeLambda(["$LATEST", "3", "12", "9"]);
    const props = applierProps({ lambda });
    const state = stagedState();
    const result = await awsApplier(props).stage(state, io());
    expect((props.runner as ReturnType<typeof fakeRunner>).deploys.map((deploy) => [deploy.args, deploy.state])).toEqual([[deployArgs(["manager"]), state]]);
    expect(lambda.calls).toEqual(["healthmate-manager-dev", "healthmate-manager-dev"]);
    expect(result.versions).toEqual({ manager: "12" });
    expect(result.notes).toContain("ui: the UI build is not uploaded by release:stage on AWS yet; its slots stay as they are");
  });

  test("code that is already stable stages nothing; a failed publish leaves the state unchanged", async () => {
    const stable = stateAfter({ kind: "stage", versions: { manager: "3" } }, { kind: "stage", versions: { manager: "4" } }, { kind: "canary", weight: 100 }, { kind: "promote" });
    const same = await awsApplier(applierProps({ lambda: fakeLambda(["4"]) })).stage(stable, io());
    expect(same.versions).toEqual({});
    expect(same.notes?.[0]).toBe("manager: version 4 (the deployed code) is already stable in green");

    await expect(awsApplier(applierProps({ runner: fakeRunner([2]) })).stage(stable, io())).rejects.toMatchObject({
      code: ReleaseErrorCode.ApplyFailed,
      message: "cdktf deploy manager failed (exit 2) while publishing; the release state is unchanged",
    });
  });
});

describe("through the CLI", () => {
  let cases = 0;
  function cli(props: AwsApplierProps): AwsCliHarness {
    const directory = path.join(root, `cli-${++cases}`);
    mkdirSync(directory);
    return awsCli(props, path.join(directory, "dev.json"), { now: NOW });
  }


  test("canary with a firing candidate alarm: exit 6, nothing saved, nothing deployed", async () => {
    const props = applierProps({ alarms: fakeAlarms(greenAlarms("ALARM")) });
    const h = cli(props);
    writeFileSync(h.file, JSON.stringify(stagedState()));
    const before = readFileSync(h.file, "utf8");
    expect(await h.run("canary", "10", "--env", "dev", "--yes")).toBe(ExitCode.AlarmFiring);
    expect(h.err()).toContain("release:canary: refusing to raise green's traffic: 1 alarm(s) firing: healthmate-manager-dev-green-errors");
    expect(readFileSync(h.file, "utf8")).toBe(before);
    expect((props.runner as ReturnType<typeof fakeRunner>).deploys).toEqual([]);
  });

  test("--watch: an alarm during the watch rolls back (saved and deployed) and exits 7", async () => {
    // Gate: OK. Watch: OK at the first check, ALARM at the second.
    const alarms = fakeAlarms(greenAlarms(), [greenAlarms(), greenAlarms(), greenAlarms("ALARM")]);
    const props = applierProps({ alarms });
    const runner = props.runner as ReturnType<typeof fakeRunner>;
    const h = cli(props);
    writeFileSync(h.file, JSON.stringify(stagedState()));

    expect(await h.run("canary", "10", "--env", "dev", "--yes", "--watch", "10m")).toBe(ExitCode.RolledBack);
    const state = JSON.parse(readFileSync(h.file, "utf8")) as ReleaseState;
    expect(state.canaryWeight).toBe(0);
    expect(state.history.map((entry) => entry.command)).toEqual(["stage", "stage", "canary", "rollback"]);
    expect(runner.deploys.map((deploy) => deploy.state.canaryWeight)).toEqual([10, 0]);
    expect(runner.deploys.map((deploy) => deploy.args)).toEqual([deployArgs(["manager", "ui"]), deployArgs(["manager", "ui"])]);
    expect(props.slept).toEqual([30_000]);
    expect(h.err()).toContain("watch: alarm(s) firing on green: healthmate-manager-dev-green-errors; rolling back");
    expect(h.err()).toContain("release:canary: alarm(s) firing on green during the watch: healthmate-manager-dev-green-errors; rolled back to 0 % at revision 4");
  });

  test("--watch with no alarm for the whole duration: exit 0, the canary stays", async () => {
    const props = applierProps();
    const h = cli(props);
    writeFileSync(h.file, JSON.stringify(stagedState()));
    expect(await h.run("canary", "10", "--env", "dev", "--yes", "--watch", "2m")).toBe(ExitCode.Ok);
    expect(props.slept).toEqual([30_000, 30_000, 30_000, 30_000]);
    expect((JSON.parse(readFileSync(h.file, "utf8")) as ReleaseState).canaryWeight).toBe(10);
    expect(h.err()).toContain("watch: no alarm on green for 2m");
  });

  test("stage --yes: publish, record the version, deploy the aliases", async () => {
    const props = applierProps({ lambda: fakeLambda(["1", "2", "3"]) });
    const h = cli(props);
    // Version 2 is already stable in blue, so the published version 3 goes into green.
    writeFileSync(h.file, JSON.stringify(stateAfter({ kind: "stage", versions: { manager: "2" } })));
    expect(await h.run("stage", "--env", "dev", "--yes")).toBe(ExitCode.Ok);
    const runner = props.runner as ReturnType<typeof fakeRunner>;
    expect(runner.deploys.map((deploy) => [deploy.args.slice(2, -2), deploy.state.revision])).toEqual([
      [["manager"], 1],
      [["manager"], 2],
    ]);
    expect((JSON.parse(readFileSync(h.file, "utf8")) as ReleaseState).services).toEqual({ manager: { blue: "2", green: "3" } });
    expect(h.out()).toContain("dev revision 2: staged manager 3 in green at weight 0");
  });

  test("stage --yes on a fresh environment: the first published version goes into the stable colour", async () => {
    const props = applierProps({ lambda: fakeLambda(["1", "2", "3"]) });
    const h = cli(props);
    expect(await h.run("stage", "--env", "dev", "--yes")).toBe(ExitCode.Ok);
    const runner = props.runner as ReturnType<typeof fakeRunner>;
    expect(runner.deploys.map((deploy) => [deploy.args.slice(2, -2), deploy.state.revision])).toEqual([
      [["manager"], 0],
      [["manager"], 1],
    ]);
    expect((JSON.parse(readFileSync(h.file, "utf8")) as ReleaseState).services).toEqual({ manager: { blue: "3", green: null } });
    expect(h.out()).toContain("dev revision 1: staged manager 3 in blue (first release, stable) at weight 0");
  });
});

describe("S3StateStore: conditional writes", () => {
  interface StoredObject {
    body: string;
    etag: string;
  }
  /** An in-memory bucket with S3's conditional-write semantics (412 on a failed precondition). */
  function fakeS3(): S3ObjectApi & { objects: Map<string, StoredObject>; puts: Record<string, unknown>[]; conflictNext?: boolean } {
    const objects = new Map<string, StoredObject>();
    let etags = 0;
    const s3Error = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    const fake: S3ObjectApi & { objects: Map<string, StoredObject>; puts: Record<string, unknown>[]; conflictNext?: boolean } = {
      objects,
      puts: [],
      getObject: async ({ Key }) => {
        const object = objects.get(Key);
        if (!object) throw s3Error("NoSuchKey", 404);
        return { ETag: object.etag, Body: { transformToString: async () => object.body } };
      },
      putObject: async (input) => {
        fake.puts.push({ ...input, Body: undefined });
        if (fake.conflictNext) {
          fake.conflictNext = false;
          throw s3Error("ConditionalRequestConflict", 409);
        }
        const existing = objects.get(input.Key);
        if (input.IfNoneMatch === "*" && existing) throw s3Error("PreconditionFailed", 412);
        if (input.IfMatch !== undefined && existing?.etag !== input.IfMatch) throw s3Error("PreconditionFailed", 412);
        const etag = `"etag-${++etags}"`;
        objects.set(input.Key, { body: input.Body, etag });
        return { ETag: etag };
      },
    };
    return fake;
  }
  const key = "healthmate/dev/release-state.json";
  const s3Store = (client: S3ObjectApi) => new S3StateStore({ client, bucket: "tf-state", key, environment: "dev" });

  test("first write with IfNoneMatch '*', later writes with IfMatch of the ETag read", async () => {
    const s3 = fakeS3();
    const store = s3Store(s3);
    const loaded = await store.load();
    expect(loaded).toEqual({ state: initialState("dev"), revision: 0 });
    const stable = plan(loaded.state, { kind: "stage", versions: { manager: "6" } }, context).next;
    await store.save(stable, 0);
    const again = await s3Store(s3).load();
    await s3Store(s3).save(plan(again.state, { kind: "stage", versions: { manager: "7" } }, context).next, again.revision);
    const staged = await s3Store(s3).load();
    await s3Store(s3).save(plan(staged.state, { kind: "canary", weight: 10 }, context).next, staged.revision);
    expect(s3.puts).toEqual([
      expect.objectContaining({ Bucket: "tf-state", Key: key, IfNoneMatch: "*", ContentType: "application/json" }),
      expect.objectContaining({ IfMatch: '"etag-1"' }),
      expect.objectContaining({ IfMatch: '"etag-2"' }),
    ]);
    expect(JSON.parse(s3.objects.get(key)?.body ?? "")).toMatchObject({ revision: 3, canaryWeight: 10 });
  });

  test("two writers from the same revision: the second gets StateConflictError naming both revisions", async () => {
    const s3 = fakeS3();
    await s3Store(s3).save(stagedState(), 0);
    const first = s3Store(s3);
    const second = s3Store(s3);
    const a = await first.load();
    const b = await second.load();
    await second.save(plan(b.state, { kind: "canary", weight: 20 }, context).next, b.revision);
    const error = await first.save(plan(a.state, { kind: "canary", weight: 10 }, context).next, a.revision).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateConflictError);
    expect((error as Error).message).toBe("state changed (revision 2 → 3) since this command read it; run it again");
    expect(JSON.parse(s3.objects.get(key)?.body ?? "")).toMatchObject({ revision: 3, canaryWeight: 20 });
  });

  test("a concurrent first write, and S3's 409 for a racing conditional write, are conflicts too", async () => {
    const s3 = fakeS3();
    const late = s3Store(s3);
    const loaded = await late.load();
    await s3Store(s3).save(stagedState(), 0);
    await expect(late.save(plan(loaded.state, { kind: "stage", versions: { manager: "8" } }, context).next, 0)).rejects.toBeInstanceOf(StateConflictError);

    const store = s3Store(s3);
    const current = await store.load();
    s3.conflictNext = true;
    await expect(store.save(plan(current.state, { kind: "canary", weight: 10 }, context).next, current.revision)).rejects.toBeInstanceOf(StateConflictError);
  });

  test("a corrupt object is a clear error naming its s3:// location", async () => {
    const s3 = fakeS3();
    s3.objects.set(key, { body: "{ nope", etag: '"x"' });
    await expect(s3Store(s3).load()).rejects.toMatchObject({ code: ReleaseErrorCode.CorruptState, message: expect.stringContaining(`s3://tf-state/${key} is not valid JSON`) });
  });

  test("save without a load reads the current ETag first and checks the revision", async () => {
    const s3 = fakeS3();
    await s3Store(s3).save(stagedState(), 0);
    const canary = plan(stagedState(), { kind: "canary", weight: 10 }, context).next;
    await expect(s3Store(s3).save(canary, 0)).rejects.toBeInstanceOf(StateConflictError);
    await s3Store(s3).save(canary, 2);
    expect(s3.puts.at(-1)).toMatchObject({ IfMatch: '"etag-1"' });
  });
});

describe("synthesizeWithState (the real stacks)", () => {
  test("a canary plan changes only alias and KVS key resources in manager and ui; the temp outdir is removed", async () => {
    const cache = path.join(root, "bundles");
    const temp = path.join(root, "synth-temp");
    mkdirSync(temp);
    const staged = stateAfter(
      { kind: "stage", versions: { manager: "6", ui: "6" } },
      { kind: "stage", versions: { manager: "7", ui: "7" } },
      { kind: "canary", weight: 100 },
      { kind: "promote" },
      { kind: "stage", versions: { manager: "8", ui: "8" } },
    );
    const canary = plan(staged, { kind: "canary", weight: 10 }, context).next;
    const options = { configEnv: {}, bundleCacheDirectory: cache, tempDirectory: temp };
    const changes = diffSynth(await synthesizeWithState(staged, options), await synthesizeWithState(canary, options));
    expect(affectedStacks(changes).sort()).toEqual(["manager", "ui"]);
    expect(new Set(changes.map((change) => change.address.split(".")[0]))).toEqual(new Set(["aws_lambda_alias", "aws_cloudfrontkeyvaluestore_key"]));
    expect(changes.find((change) => change.address.startsWith("aws_lambda_alias"))).toMatchObject({ before: undefined, after: { additional_version_weights: { "8": 0.1 } } });
    expect(readdirSync(temp)).toEqual([]);
  });
});
