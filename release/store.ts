import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { ReleaseError, ReleaseErrorCode, StateConflictError } from "./errors";
import { initialState, releaseStateSchema, type EnvironmentName, type ReleaseState } from "./state";
import { processAlive } from "../app/common/process";

/**
 * Where the release state of one environment lives, with optimistic concurrency: `load` returns
 * the state and its revision, `save` writes only if the stored revision is still the one the
 * command read, and fails with `StateConflictError` otherwise (the caller re-runs the command).
 */
export interface LoadedState {
  readonly state: ReleaseState;
  /** The stored revision (`state.revision`; 0 when nothing was stored yet). */
  readonly revision: number;
}

export interface ReleaseStateStore {
  /** For messages: a file path or `s3://bucket/key`. */
  readonly location: string;
  /** The stored state, or `initialState(environment)` when none is stored. */
  load(): Promise<LoadedState>;
  /** Writes `next` if the stored revision still equals `expectedRevision`. */
  save(next: ReleaseState, expectedRevision: number): Promise<void>;
}

/** Parses stored text; a corrupt or foreign document is a clear error naming where it came from. */
export function parseStoredState(text: string, location: string, environment: EnvironmentName): ReleaseState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ReleaseError(ReleaseErrorCode.CorruptState, `${location} is not valid JSON (${(error as Error).message}); restore it from version control or a backup, or delete it to start from an empty state`);
  }
  const parsed = releaseStateSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw new ReleaseError(ReleaseErrorCode.CorruptState, `${location} is not a valid release state (${issues}); restore it from version control or a backup`);
  }
  if (parsed.data.environment !== environment) {
    throw new ReleaseError(ReleaseErrorCode.CorruptState, `${location} holds the state of '${parsed.data.environment}', not '${environment}'`);
  }
  return parsed.data;
}

function serialize(state: ReleaseState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

function validateNext(next: ReleaseState, expectedRevision: number, environment: EnvironmentName, location: string): void {
  const parsed = releaseStateSchema.safeParse(next);
  if (!parsed.success) throw new Error(`refusing to write an invalid release state to ${location}: ${parsed.error.message}`);
  if (next.environment !== environment) throw new Error(`refusing to write the state of '${next.environment}' to ${location} ('${environment}')`);
  if (next.revision <= expectedRevision) throw new Error(`refusing to write revision ${next.revision} over revision ${expectedRevision} to ${location}: a save must raise the revision`);
}

// ---------------------------------------------------------------------------------------------
// File store

export interface FileStateStoreOptions {
  readonly path: string;
  readonly environment: EnvironmentName;
  /**
   * How long `save` waits for another command's lock before giving up.
   * @default 10000
   */
  readonly lockTimeoutMs?: number;
  /**
   * Pause between lock attempts.
   * @default 20
   */
  readonly lockRetryMs?: number;
  /**
   * A lock file that is still empty or unreadable after this long was left by a process killed
   * between creating and writing it.
   * @default 2000
   */
  readonly unreadableLockStaleMs?: number;
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  readonly since: string;
}

/**
 * The state as a JSON file. Writes are atomic and serialized:
 * - atomic replace: the new document goes to a temp file in the same directory, is fsynced, and
 *   renamed over the state file (rename is atomic within a file system), then the directory is
 *   fsynced. A process killed at any point leaves either the old or the new file, never half.
 * - serialized: the revision check and the rename happen while holding `<file>.lock`, created
 *   with `open(…, "wx")` (O_CREAT|O_EXCL: exactly one creator wins). The lock names its owner's
 *   pid and host; a lock of a dead process on this host is taken over. Taking over is itself
 *   serialized by `<file>.lock.break` so two waiters cannot both remove a fresh lock.
 */
export class FileStateStore implements ReleaseStateStore {
  readonly location: string;
  private readonly path: string;
  private readonly lockPath: string;
  private readonly breakPath: string;
  private readonly lockTimeoutMs: number;
  private readonly lockRetryMs: number;
  private readonly unreadableLockStaleMs: number;

  constructor(private readonly options: FileStateStoreOptions) {
    this.path = resolve(options.path);
    this.location = this.path;
    this.lockPath = `${this.path}.lock`;
    this.breakPath = `${this.path}.lock.break`;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.lockRetryMs = options.lockRetryMs ?? 20;
    this.unreadableLockStaleMs = options.unreadableLockStaleMs ?? 2_000;
  }

  async load(): Promise<LoadedState> {
    const state = (await this.read()) ?? initialState(this.options.environment);
    return { state, revision: state.revision };
  }

  async save(next: ReleaseState, expectedRevision: number): Promise<void> {
    validateNext(next, expectedRevision, this.options.environment, this.location);
    await mkdir(dirname(this.path), { recursive: true });
    const release = await this.lock();
    try {
      const current = await this.read();
      const currentRevision = current?.revision ?? 0;
      if (currentRevision !== expectedRevision) throw new StateConflictError(expectedRevision, currentRevision);
      await this.removeDeadTempFiles();
      await this.replace(serialize(next));
    } finally {
      await release();
    }
  }

  private async read(): Promise<ReleaseState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    return parseStoredState(text, this.location, this.options.environment);
  }

  private tempPrefix(): string {
    return `.${basename(this.path)}.`;
  }

  /** temp file + fsync + rename + directory fsync. */
  private async replace(text: string): Promise<void> {
    const directory = dirname(this.path);
    const temp = join(directory, `${this.tempPrefix()}${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
    const handle = await open(temp, "wx", 0o644);
    try {
      try {
        await handle.writeFile(text, "utf8");
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await fsyncDirectory(directory);
  }

  /** Temp files of processes killed mid-save (never read; removed so they do not pile up). */
  private async removeDeadTempFiles(): Promise<void> {
    const prefix = this.tempPrefix();
    const names = await readdir(dirname(this.path)).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
      const pid = Number(name.slice(prefix.length).split(".")[0]);
      if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) await unlink(join(dirname(this.path), name)).catch(() => undefined);
    }
  }

  /** Takes `<file>.lock`; resolves to the function that releases it. */
  private async lock(): Promise<() => Promise<void>> {
    const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString("hex"), since: new Date().toISOString() };
    const deadline = Date.now() + this.lockTimeoutMs;
    for (;;) {
      try {
        const handle = await open(this.lockPath, "wx", 0o644);
        try {
          await handle.writeFile(JSON.stringify(owner), "utf8");
        } catch (error) {
          await unlink(this.lockPath).catch(() => undefined);
          throw error;
        } finally {
          await handle.close();
        }
        return async () => {
          // Remove only our own lock (a waiter may have judged it stale and replaced it).
          const holder = await this.readLock(this.lockPath);
          if (holder.owner?.token === owner.token) await unlink(this.lockPath).catch(() => undefined);
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      if (await this.takeOverIfStale()) continue;
      if (Date.now() >= deadline) {
        const holder = await this.readLock(this.lockPath);
        const who = holder.owner ? `pid ${holder.owner.pid} on ${holder.owner.host} since ${holder.owner.since}` : "an unknown process";
        throw new ReleaseError(
          ReleaseErrorCode.StateLocked,
          `${this.lockPath} is held by ${who} (waited ${this.lockTimeoutMs} ms); run the command again, or delete the lock file if no release command is running`,
        );
      }
      await sleep(this.lockRetryMs + Math.floor(Math.random() * this.lockRetryMs));
    }
  }

  /** Removes the lock if its owner is dead; true when the lock is gone (try again at once). */
  private async takeOverIfStale(): Promise<boolean> {
    let breaker;
    try {
      breaker = await open(this.breakPath, "wx", 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // Someone else is deciding; a break lock of a dead process (or an old one) is removed.
      const holder = await this.readLock(this.breakPath);
      if (holder.exists && this.isStale(holder)) await unlink(this.breakPath).catch(() => undefined);
      return false;
    }
    try {
      await breaker.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), token: "break", since: new Date().toISOString() } satisfies LockOwner), "utf8");
      const holder = await this.readLock(this.lockPath);
      if (!holder.exists) return true;
      if (!this.isStale(holder)) return false;
      await unlink(this.lockPath).catch(() => undefined);
      return true;
    } finally {
      await breaker.close();
      await unlink(this.breakPath).catch(() => undefined);
    }
  }

  private isStale(holder: LockRead): boolean {
    if (holder.owner) return holder.owner.host === hostname() && !processAlive(holder.owner.pid);
    // Empty or garbled: its creator died between open and write, or is writing right now.
    return holder.ageMs > this.unreadableLockStaleMs;
  }

  private async readLock(path: string): Promise<LockRead> {
    try {
      const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
      const ageMs = Date.now() - info.mtimeMs;
      try {
        const owner = JSON.parse(text) as Partial<LockOwner>;
        if (typeof owner.pid === "number" && typeof owner.host === "string" && typeof owner.token === "string") {
          return { exists: true, owner: owner as LockOwner, ageMs };
        }
      } catch {
        // fall through: unreadable
      }
      return { exists: true, ageMs };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { exists: false, ageMs: 0 };
      throw error;
    }
  }
}

interface LockRead {
  readonly exists: boolean;
  readonly owner?: LockOwner;
  readonly ageMs: number;
}


async function fsyncDirectory(directory: string): Promise<void> {
  // Makes the rename itself durable. Some platforms refuse to open a directory; the rename
  // is still atomic there, only its durability on power loss is weaker.
  try {
    const handle = await open(directory, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort (see above)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

// ---------------------------------------------------------------------------------------------
// S3 store

/**
 * The two S3 calls the store makes, shaped like the aggregated `S3` client of
 * `@aws-sdk/client-s3` (`new S3({ region })` satisfies it), so no SDK is needed to test it.
 * Errors are the SDK's: `name` NoSuchKey / PreconditionFailed / ConditionalRequestConflict and
 * `$metadata.httpStatusCode` 404 / 412 / 409.
 */
export interface S3ObjectApi {
  getObject(input: { Bucket: string; Key: string }): Promise<{ Body?: { transformToString(encoding?: string): Promise<string> }; ETag?: string }>;
  putObject(input: {
    Bucket: string;
    Key: string;
    Body: string;
    ContentType?: string;
    /** Write only if the stored object still has this ETag (S3 conditional write). */
    IfMatch?: string;
    /** "*": write only if no object exists yet. */
    IfNoneMatch?: string;
  }): Promise<{ ETag?: string }>;
}

/** Anything with the SDK v3 `send(command)` (e.g. `new S3Client({})`) plus its two command classes. */
export interface S3SendClient {
  send(command: unknown): Promise<unknown>;
}
export interface S3CommandClasses {
  readonly GetObjectCommand: new (input: Parameters<S3ObjectApi["getObject"]>[0]) => unknown;
  readonly PutObjectCommand: new (input: Parameters<S3ObjectApi["putObject"]>[0]) => unknown;
}

/** Adapts an `S3Client` (send + commands) to `S3ObjectApi`. */
export function s3ObjectApiFromClient(client: S3SendClient, commands: S3CommandClasses): S3ObjectApi {
  return {
    getObject: async (input) => (await client.send(new commands.GetObjectCommand(input))) as Awaited<ReturnType<S3ObjectApi["getObject"]>>,
    putObject: async (input) => (await client.send(new commands.PutObjectCommand(input))) as Awaited<ReturnType<S3ObjectApi["putObject"]>>,
  };
}

export interface S3StateStoreOptions {
  readonly client: S3ObjectApi;
  readonly bucket: string;
  readonly key: string;
  readonly environment: EnvironmentName;
}

/**
 * The state as an S3 object beside the Terraform state. The revision check is S3's conditional
 * write: `PutObject` with `IfMatch: <ETag read by load>` (or `IfNoneMatch: "*"` for the first
 * write) fails with 412 when another writer got there first, and S3 itself serializes
 * concurrent conditional writes (409 to the loser). Either way: `StateConflictError`.
 */
export class S3StateStore implements ReleaseStateStore {
  readonly location: string;
  /** ETag of each revision this store has read (the condition of the next write). */
  private readonly etags = new Map<number, string | null>();

  constructor(private readonly options: S3StateStoreOptions) {
    this.location = `s3://${options.bucket}/${options.key}`;
  }

  async load(): Promise<LoadedState> {
    const { state, etag } = await this.fetch();
    this.etags.set(state.revision, etag);
    return { state, revision: state.revision };
  }

  async save(next: ReleaseState, expectedRevision: number): Promise<void> {
    validateNext(next, expectedRevision, this.options.environment, this.location);
    let etag = this.etags.get(expectedRevision);
    if (etag === undefined) {
      // Not read through this store: read now so the write is conditional on what is there.
      const current = await this.fetch();
      if (current.state.revision !== expectedRevision) throw new StateConflictError(expectedRevision, current.state.revision);
      etag = current.etag;
    }
    try {
      const written = await this.options.client.putObject({
        Bucket: this.options.bucket,
        Key: this.options.key,
        Body: serialize(next),
        ContentType: "application/json",
        ...(etag === null ? { IfNoneMatch: "*" } : { IfMatch: etag }),
      });
      this.etags.set(next.revision, written.ETag ?? null);
    } catch (error) {
      const status = s3Status(error);
      if (status !== 412 && status !== 409) throw error;
      const current = await this.fetch().catch(() => undefined);
      throw new StateConflictError(expectedRevision, current?.state.revision ?? expectedRevision + 1);
    }
  }

  private async fetch(): Promise<{ state: ReleaseState; etag: string | null }> {
    let output: Awaited<ReturnType<S3ObjectApi["getObject"]>>;
    try {
      output = await this.options.client.getObject({ Bucket: this.options.bucket, Key: this.options.key });
    } catch (error) {
      if (s3Status(error) === 404) return { state: initialState(this.options.environment), etag: null };
      throw error;
    }
    const text = (await output.Body?.transformToString("utf-8")) ?? "";
    return { state: parseStoredState(text, this.location, this.options.environment), etag: output.ETag ?? null };
  }
}

/** HTTP status of an SDK v3 S3 error (by name when the metadata is missing). */
function s3Status(error: unknown): number | undefined {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = candidate?.$metadata?.httpStatusCode;
  if (typeof status === "number") return status;
  switch (candidate?.name) {
    case "NoSuchKey":
    case "NotFound":
      return 404;
    case "PreconditionFailed":
      return 412;
    case "ConditionalRequestConflict":
      return 409;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Default locations

/** Remote state settings (modules/config.ts `RemoteStateConfig`, passed by the CLI entry). */
export interface RemoteStateLocation {
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly region: string;
}

export type StateLocation = { readonly kind: "file"; readonly path: string } | { readonly kind: "s3"; readonly bucket: string; readonly key: string; readonly region: string };

/** Name of the release state object beside the stacks' `<stack>.tfstate` objects. */
export const REMOTE_STATE_OBJECT = "release-state.json";

/**
 * Where an environment's state lives by default: `local` in the machine-local data directory
 * (`<home>/release/state/local.json`, never committed); dev/stage/prod in `release/state/<env>.json`
 * of the project, or — with a Terraform state bucket configured — `s3://<bucket>/<prefix>/<env>/release-state.json`.
 */
export function defaultStateLocation(environment: EnvironmentName, paths: { readonly projectRoot: string; readonly home: string; readonly remoteState?: RemoteStateLocation }): StateLocation {
  if (environment === "local") return { kind: "file", path: resolve(paths.home, "release", "state", "local.json") };
  if (paths.remoteState) {
    return { kind: "s3", bucket: paths.remoteState.bucket, key: `${paths.remoteState.keyPrefix}/${environment}/${REMOTE_STATE_OBJECT}`, region: paths.remoteState.region };
  }
  return { kind: "file", path: resolve(paths.projectRoot, "release", "state", `${environment}.json`) };
}
