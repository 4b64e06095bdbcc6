import { hostname, userInfo } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { DEFAULT_HOME } from "../app/local/paths";
import { buildUi } from "../app/ui/build";
import { ConfigError, CONFIG_ENV, DEFAULT_REGION, loadConfig, physicalName, type Environment } from "../modules/config";
import { awsApplier, spawnCommandRunner, type CloudWatchAlarmsApi, type LambdaVersionsApi } from "./apply/aws";
import { localApplier } from "./apply/local";
import type { Applier } from "./apply/types";
import { uiBucketName } from "../modules/site";
import { accountIdFromFunction, uiPublisher, type UiBucketApi } from "./apply/ui";
import type { CliDeps } from "./cli";
import { synthesizeWithState } from "./diff";
import { ReleaseError, ReleaseErrorCode } from "./errors";
import type { EnvironmentName, ReleaseState } from "./state";
import { defaultStateLocation, FileStateStore, S3StateStore, type S3ObjectApi } from "./store";

/** Overrides the UI release bucket `release:stage` uploads to (default: the ui stack's name rule). */
export const UI_BUCKET_ENV = "HEALTHMATE_UI_BUCKET";

/**
 * The real world for release/cli.ts: files, S3, CloudWatch, Lambda, `npx cdktf deploy`, the
 * local release builder, the terminal. The CLI entry point passes process.env and the working
 * directory (the project root: npm runs scripts there); nothing here reads them itself.
 */
export async function entryDeps(env: Readonly<Record<string, string | undefined>>, projectRoot: string): Promise<CliDeps> {
  const home = resolve(projectRoot, env.HEALTHMATE_HOME || DEFAULT_HOME);
  const region = env[CONFIG_ENV.region] || DEFAULT_REGION;
  const synthesize = (state: ReleaseState) => synthesizeWithState(state, { configEnv: env, bundleCacheDirectory: join(home, "cache", "bundles") });

  const stores = (environment: EnvironmentName) => {
    const location = defaultStateLocation(environment, { projectRoot, home, remoteState: remoteStateOf(env) });
    if (location.kind === "file") return new FileStateStore({ path: location.path, environment });
    return new S3StateStore({ client: lazyS3(location.region), bucket: location.bucket, key: location.key, environment });
  };

  const appliers = (environment: EnvironmentName): Applier => {
    if (environment === "local") {
      return localApplier({
        projectRoot,
        home,
        builder: async (options) => {
          const { buildLocalRelease } = await import("../app/local/releases");
          return buildLocalRelease(options);
        },
      });
    }
    const lambda = lazyLambda(region);
    const uiBucket = lazyUiBucket(region);
    return awsApplier({
      environment,
      runner: spawnCommandRunner(),
      alarms: lazyCloudWatch(region),
      lambda,
      synthesize,
      projectRoot,
      deployEnv: env,
      clock: () => new Date(),
      sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
      // The bucket is `healthmate-ui-<env>-<account>-<region>`; the account id comes from the
      // manager function's ARN (stage has just deployed it), so no STS client is needed.
      publishUi: async (io) => {
        const bucket = env[UI_BUCKET_ENV] || uiBucketName(environment, await accountIdFromFunction(lambda, physicalName("manager", environment as Environment)), region);
        return uiPublisher({ s3: uiBucket, bucket, buildUi, clock: () => new Date() })(io);
      },
    });
  };

  return {
    stores,
    appliers,
    synthesize,
    clock: () => new Date(),
    actor: actorName(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    confirm: async (question) => {
      const terminal = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await terminal.question(question)).trim());
      } finally {
        terminal.close();
      }
    },
  };
}

/** Terraform's state bucket settings, validated by loadConfig (the release state sits beside them). */
function remoteStateOf(env: Readonly<Record<string, string | undefined>>) {
  try {
    return loadConfig({
      [CONFIG_ENV.environment]: "local",
      [CONFIG_ENV.region]: env[CONFIG_ENV.region],
      [CONFIG_ENV.stateBucket]: env[CONFIG_ENV.stateBucket],
      [CONFIG_ENV.stateKeyPrefix]: env[CONFIG_ENV.stateKeyPrefix],
      [CONFIG_ENV.stateRegion]: env[CONFIG_ENV.stateRegion],
    }).remoteState;
  } catch (error) {
    if (error instanceof ConfigError) throw new ReleaseError(ReleaseErrorCode.InvalidInput, error.message);
    throw error;
  }
}

function actorName(): string {
  let user = "unknown";
  try {
    user = userInfo().username || user;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return `${user}@${hostname()}`.slice(0, 200);
}

/**
 * AWS SDK clients, created on first use: local commands never load the SDK (it costs ~100 ms
 * per client package at start-up).
 */
function lazy<T>(create: () => Promise<T>): () => Promise<T> {
  let client: Promise<T> | undefined;
  return () => (client ??= create());
}

function lazyS3(region: string): S3ObjectApi {
  const client = lazy(async () => new (await import("@aws-sdk/client-s3")).S3({ region }) as unknown as S3ObjectApi);
  return { getObject: async (input) => (await client()).getObject(input), putObject: async (input) => (await client()).putObject(input) };
}

function lazyUiBucket(region: string): UiBucketApi {
  const client = lazy(async () => new (await import("@aws-sdk/client-s3")).S3({ region }) as unknown as UiBucketApi);
  return { listObjectsV2: async (input) => (await client()).listObjectsV2(input), putObject: async (input) => (await client()).putObject(input) };
}

function lazyCloudWatch(region: string): CloudWatchAlarmsApi {
  const client = lazy(async () => new (await import("@aws-sdk/client-cloudwatch")).CloudWatch({ region }) as unknown as CloudWatchAlarmsApi);
  return { describeAlarms: async (input) => (await client()).describeAlarms(input) };
}

function lazyLambda(region: string): LambdaVersionsApi {
  const client = lazy(async () => new (await import("@aws-sdk/client-lambda")).Lambda({ region }) as unknown as LambdaVersionsApi);
  return { listVersionsByFunction: async (input) => (await client()).listVersionsByFunction(input) };
}
