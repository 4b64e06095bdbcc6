import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { UI_ENTRY, type UiBuild, type UiBuildOptions } from "../../app/ui/build";
import { cacheControlFor, contentTypeFor } from "../../app/ui/serving";
import { uiReleasePrefix } from "../../modules/release/router/contract";
import { ReleaseError, ReleaseErrorCode } from "../errors";
import { versionSchema } from "../state";
import type { LambdaVersionsApi } from "./aws";
import type { ApplyIo } from "./types";

/**
 * `release:stage` on AWS, the UI half: build the UI into a temp folder and upload it, file by
 * file, to `s3://<ui bucket>/releases/<version>/` (modules/release/router/contract.ts
 * `uiReleasePrefix`), where the edge router serves it once the state names the version.
 *
 * A release folder is immutable: the version id is new (the clock, to the second), an existing
 * folder is refused before anything is built, and every PutObject carries `IfNoneMatch: "*"` so
 * S3 itself refuses to replace an object (a concurrent stage of the same id gets 412 and stops).
 * `index.html` goes last, so a folder with an entry page is complete.
 *
 * Verified in test/release/ui-upload.test.ts with an in-memory S3; only AWS can show the
 * operator's permissions (s3:ListBucket, s3:PutObject on the bucket) and S3's real 412.
 */

/** The two S3 calls the publisher makes, shaped like the aggregated `S3` client of `@aws-sdk/client-s3`. */
export interface UiBucketApi {
  listObjectsV2(input: { Bucket: string; Prefix: string; MaxKeys?: number }): Promise<{ KeyCount?: number; Contents?: readonly { Key?: string }[] }>;
  putObject(input: {
    Bucket: string;
    Key: string;
    Body: Uint8Array;
    ContentType: string;
    CacheControl: string;
    /** "*": write only if no object exists under the key (S3 answers 412 otherwise). */
    IfNoneMatch: "*";
  }): Promise<{ ETag?: string }>;
}

export interface UiPublisherProps {
  readonly s3: UiBucketApi;
  /** The ui stack's release bucket (`uiBucketName`, or the HEALTHMATE_UI_BUCKET override). */
  readonly bucket: string;
  /** app/ui/build.ts `buildUi` (injected so the entry loads it on first use). */
  readonly buildUi: (options: UiBuildOptions) => Promise<UiBuild>;
  /** Source of the version id (`uiVersionId`). */
  readonly clock: () => Date;
  /**
   * Where the temp build folder is created (and removed again).
   * @default os.tmpdir()
   */
  readonly tempDir?: string;
}

/** A UI version id from a time: `YYYYMMDD.HHMMSS` in UTC (fixed width, so ids sort as they were made). */
export function uiVersionId(at: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  const id = `${pad(at.getUTCFullYear(), 4)}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}.${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`;
  return versionSchema.parse(id);
}

/** Returns `publishUi` for release/apply/aws.ts: builds and uploads a new UI version, resolves to its id. */
export function uiPublisher(props: UiPublisherProps): (io: ApplyIo) => Promise<string> {
  return async (io) => {
    const version = uiVersionId(props.clock());
    const prefix = `${uiReleasePrefix(version)}/`;
    const folder = `s3://${props.bucket}/${prefix}`;

    io.progress(`ui: new version ${version}; checking that ${folder} does not exist yet`);
    const listed = await props.s3.listObjectsV2({ Bucket: props.bucket, Prefix: prefix, MaxKeys: 1 });
    if ((listed.KeyCount ?? listed.Contents?.length ?? 0) > 0) {
      throw new ReleaseError(
        ReleaseErrorCode.ApplyFailed,
        `${folder} already exists and UI versions are immutable: refusing to overwrite it; nothing was uploaded and the release state is unchanged. ` +
          `Version ids are per second: run release:stage again`,
      );
    }

    const directory = await mkdtemp(join(props.tempDir ?? tmpdir(), "healthmate-ui-build-"));
    try {
      io.progress(`ui: building version ${version}`);
      await props.buildUi({ outDir: directory, version });
      const files = await listFiles(directory);
      if (!files.includes(UI_ENTRY)) {
        throw new ReleaseError(ReleaseErrorCode.ApplyFailed, `the UI build of version ${version} has no ${UI_ENTRY} (files: ${files.join(", ") || "none"}); nothing was uploaded`);
      }
      // The entry page last: a folder that has one has every file it refers to.
      const order = [...files.filter((file) => file !== UI_ENTRY), UI_ENTRY];
      io.progress(`ui: uploading ${order.length} file(s) to ${folder}`);
      let uploaded = 0;
      for (const file of order) {
        const key = `${prefix}${file}`;
        const body = await readFile(join(directory, ...file.split("/")));
        const contentType = contentTypeFor(file);
        try {
          await props.s3.putObject({ Bucket: props.bucket, Key: key, Body: body, ContentType: contentType, CacheControl: cacheControlFor(file), IfNoneMatch: "*" });
        } catch (error) {
          const status = s3Status(error);
          if (status === 412 || status === 409) {
            throw new ReleaseError(
              ReleaseErrorCode.ApplyFailed,
              `s3://${props.bucket}/${key} already exists (another release:stage is uploading version ${version}?) and UI versions are immutable: refusing to overwrite it; ` +
                `${uploaded} of ${order.length} file(s) were uploaded before, none after; the release state is unchanged: run release:stage again for a new version`,
            );
          }
          throw new Error(`uploading ${file} to s3://${props.bucket}/${key} failed after ${uploaded} of ${order.length} file(s): ${(error as Error).message ?? String(error)}; the release state is unchanged`, {
            cause: error,
          });
        }
        uploaded++;
        io.progress(`ui:   ${file} (${contentType}, ${body.byteLength} B)`);
      }
      io.progress(`ui: uploaded version ${version} (${uploaded} file(s))`);
      return version;
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  };
}

/** Paths of the regular files under `root`, relative, with `/` separators, sorted. */
async function listFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(join(root, relative), { withFileTypes: true })) {
      const path = relative ? posix.join(relative, entry.name) : entry.name;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  await walk("");
  return files.sort();
}

/** HTTP status of an SDK v3 S3 error (by name when the metadata is missing). */
function s3Status(error: unknown): number | undefined {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = candidate?.$metadata?.httpStatusCode;
  if (typeof status === "number") return status;
  if (candidate?.name === "PreconditionFailed") return 412;
  if (candidate?.name === "ConditionalRequestConflict") return 409;
  return undefined;
}

/** The account id in an ARN (`arn:<partition>:<service>:<region>:<account>:…`). */
export function accountIdFromArn(arn: string): string {
  const account = arn.split(":")[4];
  if (!arn.startsWith("arn:") || !account || !/^\d{12}$/.test(account)) throw new Error(`'${arn}' is not an ARN with an account id`);
  return account;
}

/**
 * The account id of the deployed Lambda function `functionName` (from its ARN in
 * ListVersionsByFunction, a call stage already makes): no STS client needed.
 */
export async function accountIdFromFunction(lambda: LambdaVersionsApi, functionName: string): Promise<string> {
  const hint = "set HEALTHMATE_UI_BUCKET to the ui stack's bucket name (its output UiBucketName)";
  let arn: string | undefined;
  try {
    arn = (await lambda.listVersionsByFunction({ FunctionName: functionName, MaxItems: 1 })).Versions?.[0]?.FunctionArn;
  } catch (error) {
    throw new ReleaseError(ReleaseErrorCode.ApplyFailed, `cannot tell the AWS account id of the UI bucket from Lambda function ${functionName} (${(error as Error).message}); ${hint}`);
  }
  try {
    return accountIdFromArn(arn ?? "");
  } catch {
    throw new ReleaseError(ReleaseErrorCode.ApplyFailed, `cannot tell the AWS account id of the UI bucket: Lambda function ${functionName} has no version ARN with an account id; ${hint}`);
  }
}
