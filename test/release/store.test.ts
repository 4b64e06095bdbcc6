import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ReleaseError, ReleaseErrorCode, StateConflictError } from "../../release/errors";
import { plan } from "../../release/plan";
import { initialState, releaseStateSchema, type ReleaseState } from "../../release/state";
import { defaultStateLocation, FileStateStore } from "../../release/store";

/**
 * The file store: atomic replace, corrupt files, the revision check, the lock, and real
 * concurrency and crashes with separate processes (test/release/support/storeChild.ts).
 */
const CHILD = path.resolve("test/release/support/storeChild.ts");
const context = { now: new Date("2026-12-04T10:00:00.000Z"), actor: "test@host" };

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "healthmate-release-store-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function freshFile(): string {
  const directory = path.join(root, `case-${++counter}`);
  mkdirSync(directory);
  return path.join(directory, "local.json");
}

function store(file: string, options: Partial<ConstructorParameters<typeof FileStateStore>[0]> = {}): FileStateStore {
  return new FileStateStore({ path: file, environment: "local", lockTimeoutMs: 5_000, ...options });
}

/**
 * A state with version 1 stable in blue and version 2 staged in green (so canary is allowed),
 * saved as revisions 1 and 2 (a service's first version goes into the stable colour).
 */
async function stagedFile(): Promise<string> {
  const file = freshFile();
  const first = plan(initialState("local"), { kind: "stage", versions: { manager: "1" } }, context);
  await store(file).save(first.next, 0);
  const second = plan(first.next, { kind: "stage", versions: { manager: "2" } }, context);
  await store(file).save(second.next, 1);
  return file;
}

function parseFile(file: string): ReleaseState {
  return releaseStateSchema.parse(JSON.parse(readFileSync(file, "utf8")));
}

/** The pid of a process that has exited (and was reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("load", () => {
  test("no file: the initial state at revision 0", async () => {
    expect(await store(freshFile()).load()).toEqual({ state: initialState("local"), revision: 0 });
  });

  test.each([
    ["not JSON", "{ half a docu", /is not valid JSON/],
    ["empty", "", /is not valid JSON/],
    ["not the schema", JSON.stringify({ schemaVersion: 2 }), /is not a valid release state \(schemaVersion: /],
    ["another environment's state", JSON.stringify(initialState("prod")), /holds the state of 'prod', not 'local'/],
  ])("a corrupt file (%s) is a clear error naming the file; save does not overwrite it", async (_name, text, message) => {
    const file = freshFile();
    writeFileSync(file, text);
    const error = await store(file)
      .load()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReleaseError);
    expect((error as ReleaseError).code).toBe(ReleaseErrorCode.CorruptState);
    expect((error as ReleaseError).message).toContain(file);
    expect((error as ReleaseError).message).toMatch(message);

    const next = plan(initialState("local"), { kind: "stage", versions: { manager: "1" } }, context).next;
    await expect(store(file).save(next, 0)).rejects.toMatchObject({ code: ReleaseErrorCode.CorruptState });
    expect(readFileSync(file, "utf8")).toBe(text);
  });
});

describe("save", () => {
  test("replaces the file atomically (a new inode by rename), leaves no temp or lock file, and round-trips", async () => {
    const file = await stagedFile();
    const before = statSync(file).ino;
    const { state, revision } = await store(file).load();
    const next = plan(state, { kind: "canary", weight: 10 }, context).next;
    await store(file).save(next, revision);
    expect(statSync(file).ino).not.toBe(before);
    expect(readdirSync(path.dirname(file))).toEqual(["local.json"]);
    expect(await store(file).load()).toEqual({ state: next, revision: 3 });
  });

  test("fails with StateConflictError when the stored revision moved; the winner's state stays", async () => {
    const file = await stagedFile();
    const first = await store(file).load();
    const second = await store(file).load();
    const winner = plan(second.state, { kind: "canary", weight: 20 }, context).next;
    await store(file).save(winner, second.revision);

    const loser = plan(first.state, { kind: "canary", weight: 10 }, context).next;
    const error = await store(file)
      .save(loser, first.revision)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateConflictError);
    expect((error as StateConflictError).message).toBe("state changed (revision 2 → 3) since this command read it; run it again");
    expect(parseFile(file)).toEqual(winner);
  });

  test("refuses a state that does not raise the revision or belongs to another environment", async () => {
    const file = await stagedFile();
    const { state } = await store(file).load();
    await expect(store(file).save(state, 2)).rejects.toThrow(/must raise the revision/);
    await expect(store(file).save({ ...state, environment: "dev", revision: 3 }, 2)).rejects.toThrow(/state of 'dev'/);
  });

  test("takes over the lock of a dead process, and removes temp files dead processes left", async () => {
    const file = await stagedFile();
    const dead = deadPid();
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: dead, host: (await import("node:os")).hostname(), token: "old", since: "2026-12-04T09:00:00.000Z" }));
    const leftover = path.join(path.dirname(file), `.local.json.${dead}.abcdef.tmp`);
    writeFileSync(leftover, "{ half");

    const { state, revision } = await store(file).load();
    expect(revision).toBe(2);
    await store(file).save(plan(state, { kind: "canary", weight: 10 }, context).next, revision);
    expect(parseFile(file).canaryWeight).toBe(10);
    expect(readdirSync(path.dirname(file))).toEqual(["local.json"]);
  });

  test("takes over an empty lock file once it is older than the threshold (creator killed before writing it)", async () => {
    const file = await stagedFile();
    writeFileSync(`${file}.lock`, "");
    const { state, revision } = await store(file).load();
    await store(file, { unreadableLockStaleMs: 0 }).save(plan(state, { kind: "canary", weight: 10 }, context).next, revision);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  test("waits a bounded time for a live owner's lock, then says who holds it; the file is untouched", async () => {
    const file = await stagedFile();
    const text = readFileSync(file, "utf8");
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, host: (await import("node:os")).hostname(), token: "other", since: "2026-12-04T09:00:00.000Z" }));
    const { state, revision } = await store(file).load();
    const error = await store(file, { lockTimeoutMs: 50 })
      .save(plan(state, { kind: "canary", weight: 10 }, context).next, revision)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ReleaseErrorCode.StateLocked });
    expect((error as Error).message).toContain(`is held by pid ${process.pid}`);
    expect(readFileSync(file, "utf8")).toBe(text);
    rmSync(`${file}.lock`);
  });
});

describe("separate processes", () => {
  function startChild(args: string[]): { child: ChildProcessWithoutNullStreams; lines: string[]; waitFor: (pattern: RegExp) => Promise<void>; exited: Promise<number | null> } {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    const lines: string[] = [];
    const waiters: { pattern: RegExp; done: () => void }[] = [];
    let buffer = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        for (const waiter of [...waiters]) {
          if (waiter.pattern.test(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.done();
          }
        }
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    const waitFor = (pattern: RegExp) =>
      new Promise<void>((done, fail) => {
        if (lines.some((line) => pattern.test(line))) return done();
        waiters.push({ pattern, done });
        void exited.then(() => fail(new Error(`child exited before printing ${pattern}: ${lines.join(" | ")} ${stderr}`)));
      });
    return { child, lines, waitFor, exited };
  }

  test("two commands save at once: one wins, the other gets StateConflictError, the file is valid", async () => {
    const file = await stagedFile();
    const a = startChild(["race", file, "10"]);
    const b = startChild(["race", file, "20"]);
    // Both have read revision 2 before either writes.
    await Promise.all([a.waitFor(/^loaded 2$/), b.waitFor(/^loaded 2$/)]);
    a.child.stdin.write("go\n");
    b.child.stdin.write("go\n");
    const codes = await Promise.all([a.exited, b.exited]);

    expect([...codes].sort()).toEqual([0, 4]);
    const loser = codes[0] === 4 ? a : b;
    expect(loser.lines).toContain("conflict state changed (revision 2 → 3) since this command read it; run it again");
    const state = parseFile(file);
    expect(state.revision).toBe(3);
    expect(state.history).toHaveLength(3);
    expect(state.canaryWeight).toBe(codes[0] === 0 ? 10 : 20);
    expect(readdirSync(path.dirname(file))).toEqual(["local.json"]);
  });

  test("kill -9 in the middle of a save loop leaves a valid file, and the next save takes over", async () => {
    const file = await stagedFile();
    // Kill after different numbers of saves so the signal lands at different points of a save.
    for (const saves of [1, 3, 7, 12, 20]) {
      const loop = startChild(["loop", file]);
      await loop.waitFor(new RegExp(`^saved \\d+$`));
      await new Promise<void>((done) => {
        const check = () => (loop.lines.length >= saves ? done() : setImmediate(check));
        check();
      });
      loop.child.kill("SIGKILL");
      await loop.exited;

      const { state, revision } = await store(file).load();
      expect(releaseStateSchema.safeParse(state).success).toBe(true);
      expect(state.history).toHaveLength(revision);
      // A lock or temp file the killed process left is taken over / removed by the next save.
      const next = plan(state, { kind: "canary", weight: state.canaryWeight === 30 ? 40 : 30 }, context).next;
      await store(file, { unreadableLockStaleMs: 0 }).save(next, revision);
      expect(parseFile(file).revision).toBe(revision + 1);
    }
    expect(readdirSync(path.dirname(file))).toEqual(["local.json"]);
  });
});

describe("defaultStateLocation", () => {
  const paths = { projectRoot: "/repo", home: "/repo/.healthmate" };
  const remoteState = { bucket: "tf-state", keyPrefix: "healthmate", region: "eu-west-1" };

  test("local lives in the data directory, even with a state bucket", () => {
    expect(defaultStateLocation("local", paths)).toEqual({ kind: "file", path: "/repo/.healthmate/release/state/local.json" });
    expect(defaultStateLocation("local", { ...paths, remoteState })).toEqual({ kind: "file", path: "/repo/.healthmate/release/state/local.json" });
  });

  test("dev/stage/prod: release/state/<env>.json, or beside the Terraform state in S3", () => {
    expect(defaultStateLocation("prod", paths)).toEqual({ kind: "file", path: "/repo/release/state/prod.json" });
    expect(defaultStateLocation("dev", { ...paths, remoteState })).toEqual({ kind: "s3", bucket: "tf-state", key: "healthmate/dev/release-state.json", region: "eu-west-1" });
  });
});
