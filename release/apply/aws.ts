import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { physicalName, type Environment } from "../../modules/config";
import { RELEASE_STATE_ENV } from "../../modules/release/state-file";
import { affectedStacks, diffSynth, type SynthesizedStacks } from "../diff";
import { ReleaseError, ReleaseErrorCode } from "../errors";
import type { ReleasePlan } from "../plan";
import { candidateColour, type EnvironmentName, type ReleasedService, type ReleaseState } from "../state";
import type { Colour } from "../../modules/release/router/contract";
import type { Applier, ApplyIo, StageResult, WatchResult } from "./types";

/**
 * `--env dev|stage|prod`: the state is the source of truth (main.ts renders it into aliases and
 * KeyValueStore keys), so applying a plan = save the state, then `cdktf deploy` exactly the
 * stacks whose synthesized resources change.
 *
 * What the tests verify here, with injected fakes (test/release/aws.test.ts): which stacks are
 * deployed for a given synthesized diff and the exact command line; that a firing alarm of the
 * candidate colour (by name prefix `healthmate-<service>-<env>-<colour>-`) refuses a raise before
 * anything is saved; that --watch rolls back when an alarm fires; that stage deploys the function
 * stacks first and records the highest published version; that a failed deploy says the state was
 * saved and prints the command that reconciles. What only AWS can show: that `cdktf deploy`
 * really publishes a version and moves the aliases and KVS keys, how long that takes, that the
 * alarms exist under those names and fire on real errors, and IAM permissions of the operator.
 */

/** Runs a program and streams its output; resolves to the exit code. */
export interface CommandRunner {
  run(
    command: string,
    args: readonly string[],
    options: { readonly cwd: string; readonly env: Readonly<Record<string, string | undefined>>; readonly onOutput: (text: string) => void },
  ): Promise<{ readonly exitCode: number }>;
}

/** The real runner: child_process.spawn with stdout and stderr passed to `onOutput` as they come. */
export function spawnCommandRunner(): CommandRunner {
  return {
    run: (command, args, options) =>
      new Promise((done, fail) => {
        const child = spawn(command, [...args], { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout.on("data", (chunk: Buffer) => options.onOutput(chunk.toString("utf8")));
        child.stderr.on("data", (chunk: Buffer) => options.onOutput(chunk.toString("utf8")));
        child.on("error", fail);
        child.on("close", (code, signal) => done({ exitCode: code ?? (signal ? 128 : 1) }));
      }),
  };
}

/** CloudWatch DescribeAlarms, shaped like the aggregated `CloudWatch` client of `@aws-sdk/client-cloudwatch`. */
export interface CloudWatchAlarmsApi {
  describeAlarms(input: { AlarmNamePrefix?: string; NextToken?: string }): Promise<{
    MetricAlarms?: readonly { AlarmName?: string; StateValue?: string }[];
    CompositeAlarms?: readonly { AlarmName?: string; StateValue?: string }[];
    NextToken?: string;
  }>;
}

/** Lambda ListVersionsByFunction, shaped like the aggregated `Lambda` client of `@aws-sdk/client-lambda`. */
export interface LambdaVersionsApi {
  listVersionsByFunction(input: { FunctionName: string; Marker?: string; MaxItems?: number }): Promise<{
    /** `FunctionArn` carries the account id (release/apply/ui.ts reads the UI bucket's account from it). */
    Versions?: readonly { Version?: string; FunctionArn?: string }[];
    NextMarker?: string;
  }>;
}

/** Anything with the SDK v3 `send(command)`, for the adapters below. */
export interface SendClient {
  send(command: unknown): Promise<unknown>;
}

export function cloudWatchAlarmsApiFromClient(client: SendClient, DescribeAlarmsCommand: new (input: Parameters<CloudWatchAlarmsApi["describeAlarms"]>[0]) => unknown): CloudWatchAlarmsApi {
  return { describeAlarms: async (input) => (await client.send(new DescribeAlarmsCommand(input))) as Awaited<ReturnType<CloudWatchAlarmsApi["describeAlarms"]>> };
}

export function lambdaVersionsApiFromClient(
  client: SendClient,
  ListVersionsByFunctionCommand: new (input: Parameters<LambdaVersionsApi["listVersionsByFunction"]>[0]) => unknown,
): LambdaVersionsApi {
  return { listVersionsByFunction: async (input) => (await client.send(new ListVersionsByFunctionCommand(input))) as Awaited<ReturnType<LambdaVersionsApi["listVersionsByFunction"]>> };
}

/** A Lambda-backed service: its function `healthmate-<service>-<env>` is in `stack`. */
export interface FunctionService {
  readonly service: ReleasedService;
  readonly stack: string;
}

export interface AwsApplierProps {
  readonly environment: Exclude<EnvironmentName, "local">;
  readonly runner: CommandRunner;
  readonly alarms: CloudWatchAlarmsApi;
  readonly lambda: LambdaVersionsApi;
  /** The stacks as main.ts renders a state (release/diff.ts `synthesizeWithState`). */
  readonly synthesize: (state: ReleaseState) => Promise<SynthesizedStacks>;
  /** Where cdktf.json is: `cdktf deploy` runs there. */
  readonly projectRoot: string;
  /** Environment of the `cdktf deploy` child (credentials, config); HEALTHMATE_ENV is set from `environment`. */
  readonly deployEnv: Readonly<Record<string, string | undefined>>;
  readonly clock: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /**
   * Time between alarm checks during --watch.
   * @default 30000 (CloudWatch Lambda metrics arrive per minute)
   */
  readonly pollIntervalMs?: number;
  /**
   * Services whose new versions `stage` publishes by deploying their stack.
   * @default [{ service: "manager", stack: "manager" }] - coach joins when it has a function
   */
  readonly functionServices?: readonly FunctionService[];
  /**
   * Uploads the current UI build under `releases/<version>/` and returns that version.
   * @default - the UI is not staged on AWS (a note says so)
   */
  readonly publishUi?: (io: ApplyIo) => Promise<string>;
}

export const DEFAULT_FUNCTION_SERVICES: readonly FunctionService[] = [{ service: "manager", stack: "manager" }];

/** `npx cdktf deploy <stacks> …`: only the named stacks; their dependencies are already deployed. */
export function deployArgs(stacks: readonly string[]): string[] {
  return ["cdktf", "deploy", ...stacks, "--auto-approve", "--ignore-missing-stack-dependencies"];
}

/** CloudWatch alarm names of a service's colour alias start with this (modules/alarms.ts). */
export function alarmNamePrefix(service: ReleasedService, environment: EnvironmentName, colour: Colour): string {
  return `${physicalName(service, environment as Environment)}-${colour}-`;
}

/** True for plans that send more traffic to the candidate: a higher canary weight, or promote. */
export function raisesCandidateTraffic(plan: ReleasePlan): boolean {
  return plan.command.kind === "promote" || (plan.command.kind === "canary" && plan.next.canaryWeight > plan.previous.canaryWeight);
}

export function awsApplier(props: AwsApplierProps): Applier {
  const environment = props.environment;
  const functionServices = props.functionServices ?? DEFAULT_FUNCTION_SERVICES;
  const pollIntervalMs = props.pollIntervalMs ?? 30_000;

  /**
   * `cdktf deploy` renders exactly `state`: main.ts reads it from the file named by
   * HEALTHMATE_RELEASE_STATE_FILE (a temp copy), wherever the state itself lives (file or S3).
   */
  const deploy = async (stacks: readonly string[], state: ReleaseState, io: ApplyIo): Promise<number> => {
    const args = deployArgs(stacks);
    const directory = await mkdtemp(join(tmpdir(), "healthmate-release-deploy-"));
    try {
      const stateFile = join(directory, "release-state.json");
      await writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`);
      io.progress(`$ HEALTHMATE_ENV=${environment} npx ${args.join(" ")}   (release state revision ${state.revision})`);
      const { exitCode } = await props.runner.run("npx", args, {
        cwd: props.projectRoot,
        env: { ...props.deployEnv, HEALTHMATE_ENV: environment, [RELEASE_STATE_ENV.file]: stateFile },
        onOutput: (text) => {
          for (const line of text.split("\n")) if (line.trim()) io.progress(`  ${line.trimEnd()}`);
        },
      });
      return exitCode;
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  };

  const latestVersion = async (functionName: string): Promise<string | undefined> => {
    let highest: number | undefined;
    let marker: string | undefined;
    do {
      const page = await props.lambda.listVersionsByFunction({ FunctionName: functionName, Marker: marker, MaxItems: 50 });
      for (const { Version } of page.Versions ?? []) {
        const number = Number(Version);
        if (Version !== "$LATEST" && Number.isInteger(number) && (highest === undefined || number > highest)) highest = number;
      }
      marker = page.NextMarker;
    } while (marker);
    return highest === undefined ? undefined : String(highest);
  };

  /** Names of the alarms of `colour` that are in ALARM, for the function services that hold a version in it. */
  const firingAlarms = async (state: ReleaseState, colour: Colour, io: ApplyIo): Promise<string[]> => {
    const firing: string[] = [];
    for (const { service } of functionServices) {
      if (!state.services[service]?.[colour]) continue;
      const prefix = alarmNamePrefix(service, environment, colour);
      let seen = 0;
      let token: string | undefined;
      do {
        const page = await props.alarms.describeAlarms({ AlarmNamePrefix: prefix, NextToken: token });
        for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
          seen++;
          if (alarm.StateValue === "ALARM") firing.push(alarm.AlarmName ?? `${prefix}?`);
        }
        token = page.NextToken;
      } while (token);
      if (seen === 0) io.progress(`warning: no CloudWatch alarm is named ${prefix}*: there is nothing to check for ${service} ${colour}`);
    }
    return firing;
  };

  return {
    target: "aws",

    stageServices: () => [...functionServices.map((entry) => entry.service), ...(props.publishUi ? (["ui"] as const) : [])],

    async stage(state: ReleaseState, io: ApplyIo): Promise<StageResult> {
      // The function stacks publish a version when the code changed (publish = true). main.ts
      // renders the *current* state while doing so, so no alias moves yet.
      const stacks = [...new Set(functionServices.map((entry) => entry.stack))];
      io.progress(`publishing new versions: deploying ${stacks.join(", ")} with the current release state`);
      const exitCode = await deploy(stacks, state, io);
      if (exitCode !== 0) {
        throw new ReleaseError(ReleaseErrorCode.ApplyFailed, `cdktf deploy ${stacks.join(" ")} failed (exit ${exitCode}) while publishing; the release state is unchanged`);
      }
      const candidate = candidateColour(state);
      const versions: Partial<Record<ReleasedService, string>> = {};
      const notes: string[] = [];
      for (const { service } of functionServices) {
        const functionName = physicalName(service, environment as Environment);
        const version = await latestVersion(functionName);
        const slots = state.services[service];
        if (version === undefined) notes.push(`${service}: ${functionName} has no published version`);
        else if (version === slots?.[state.stableColour]) notes.push(`${service}: version ${version} (the deployed code) is already stable in ${state.stableColour}`);
        else if (version === slots?.[candidate]) {
          notes.push(`${service}: version ${version} is already in ${candidate}`);
          versions[service] = version;
        } else versions[service] = version;
      }
      if (props.publishUi) versions.ui = await props.publishUi(io);
      else notes.push("ui: the UI build is not uploaded by release:stage on AWS yet; its slots stay as they are");
      return { versions, notes };
    },

    async preflight(plan: ReleasePlan, io: ApplyIo): Promise<void> {
      if (!raisesCandidateTraffic(plan)) return;
      const colour = candidateColour(plan.previous);
      io.progress(`checking the alarms of ${colour} before raising its traffic`);
      const firing = await firingAlarms(plan.previous, colour, io);
      if (firing.length > 0) {
        throw new ReleaseError(
          ReleaseErrorCode.AlarmFiring,
          `refusing to raise ${colour}'s traffic: ${firing.length} alarm(s) firing: ${firing.join(", ")}; investigate, or run release:rollback`,
        );
      }
    },

    async reconcile(plan: ReleasePlan, io: ApplyIo): Promise<string> {
      const changes = diffSynth(await props.synthesize(plan.previous), await props.synthesize(plan.next));
      const stacks = affectedStacks(changes);
      if (stacks.length === 0) return "no Terraform resource changes: nothing to deploy";
      io.progress(`${changes.length} attribute change(s) in ${stacks.join(", ")}`);
      const exitCode = await deploy(stacks, plan.next, io);
      if (exitCode !== 0) {
        throw new ReleaseError(
          ReleaseErrorCode.ApplyFailed,
          `the state is saved (revision ${plan.next.revision}) but cdktf deploy ${stacks.join(" ")} failed (exit ${exitCode}); AWS still serves the previous pointers. ` +
            `Fix the cause, then reconcile with: HEALTHMATE_ENV=${environment} npx ${deployArgs(stacks).join(" ")} ` +
            `(main.ts renders the saved state; with the state in S3, download it and set ${RELEASE_STATE_ENV.file} to the copy)`,
        );
      }
      return `deployed ${stacks.join(", ")}`;
    },

    async watch(plan: ReleasePlan, durationMs: number, io: ApplyIo): Promise<WatchResult> {
      const colour = candidateColour(plan.next);
      const deadline = props.clock().getTime() + durationMs;
      for (;;) {
        const firing = await firingAlarms(plan.next, colour, io);
        if (firing.length > 0) return { firing };
        const remaining = deadline - props.clock().getTime();
        if (remaining <= 0) return { firing: [] };
        io.progress(`watch: ${colour} healthy; ${Math.ceil(remaining / 1000)} s to go`);
        await props.sleep(Math.min(pollIntervalMs, remaining));
      }
    },
  };
}
