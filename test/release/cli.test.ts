import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { localApplier, type LocalReleaseBuilder } from "../../release/apply/local";
import type { Applier } from "../../release/apply/types";
import { ExitCode, runCli, type CliDeps } from "../../release/cli";
import { StateConflictError } from "../../release/errors";
import { plan } from "../../release/plan";
import { initialState, type EnvironmentName, type ReleaseState } from "../../release/state";
import { FileStateStore, type ReleaseStateStore } from "../../release/store";
import { fakeSynth } from "./support/fakes";

/**
 * runCli with fakes: a real file store in a temp folder, a fake local builder, a recording
 * applier for dev/stage/prod, a fixed clock. Every refused input leaves the state file
 * byte-identical.
 */
const NOW = new Date("2026-12-04T10:00:00.000Z");

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "healthmate-release-cli-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Harness {
  readonly run: (...argv: string[]) => Promise<number>;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly file: (environment?: EnvironmentName) => string;
  /** Calls the builder and the non-local applier received, in order. */
  readonly calls: string[];
  readonly questions: string[];
}

let cases = 0;
function harness(options: { isTTY?: boolean; answer?: boolean; store?: (environment: EnvironmentName, file: string) => ReleaseStateStore } = {}): Harness {
  const directory = path.join(root, `case-${++cases}`);
  const file = (environment: EnvironmentName = "local") => path.join(directory, `${environment}.json`);
  let out = "";
  let err = "";
  const calls: string[] = [];
  const questions: string[] = [];
  let built = 0;
  const builder: LocalReleaseBuilder = async (paths) => {
    built++;
    calls.push(`build ${paths.projectRoot} ${paths.home}`);
    return { versions: { manager: String(built), ui: String(built) } };
  };
  const remote: Applier = {
    target: "aws",
    stageServices: () => ["manager"],
    stage: async () => {
      calls.push("aws stage");
      return { versions: { manager: "7" } };
    },
    preflight: async (planned) => void calls.push(`preflight ${planned.command.kind}`),
    reconcile: async (planned) => {
      calls.push(`reconcile ${planned.command.kind} r${planned.next.revision}`);
      return "deployed manager, ui";
    },
    watch: async () => ({ firing: [] }),
  };
  const deps: CliDeps = {
    stores: (environment) => options.store?.(environment, file(environment)) ?? new FileStateStore({ path: file(environment), environment }),
    appliers: (environment) => (environment === "local" ? localApplier({ builder, projectRoot: "/project", home: "/project/.healthmate" }) : remote),
    synthesize: async (state) => fakeSynth(state),
    clock: () => NOW,
    actor: "tester@host",
    stdout: (text) => void (out += text),
    stderr: (text) => void (err += text),
    isTTY: options.isTTY ?? false,
    confirm: async (question) => {
      questions.push(question);
      return options.answer ?? false;
    },
  };
  return {
    run: (...argv) => {
      out = "";
      err = "";
      return runCli(argv, deps);
    },
    stdout: () => out,
    stderr: () => err,
    file,
    calls,
    questions,
  };
}

/** Writes a state reached by planning `commands` from the initial state. */
function writeState(file: string, environment: EnvironmentName, ...commands: Parameters<typeof plan>[1][]): ReleaseState {
  const state = commands.reduce((current, command) => plan(current, command, { now: NOW, actor: "setup@host" }).next, initialState(environment));
  rmSync(file, { force: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { flag: "wx" });
  return state;
}

/** The harness folder appears with the first save; tests that seed a file create it first. */
function ensureFolder(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

describe("status", () => {
  test("a fresh environment: header and a hint", async () => {
    const h = harness();
    expect(await h.run("status")).toBe(ExitCode.Ok);
    expect(h.stdout()).toBe(`local: revision 0, stable blue, all new visitors on blue (state: ${h.file()})\nnothing released yet: run release:stage\n`);
  });

  test("a table of service, blue, green, stable colour, weight and last change; --json gives the same facts", async () => {
    const h = harness();
    // The first stage fills the stable colour (blue); the second puts version 2 in green.
    expect(await h.run("stage")).toBe(ExitCode.Ok);
    expect(await h.run("stage")).toBe(ExitCode.Ok);
    expect(await h.run("canary", "10")).toBe(ExitCode.Ok);
    expect(await h.run("status")).toBe(ExitCode.Ok);
    expect(h.stdout()).toBe(
      [
        `local: revision 3, stable blue, canary 10 % on green (state: ${h.file()})`,
        "service  blue  green  stable  weight      last change",
        "manager  1     2      blue    10 % green  r3 canary 2026-12-04 10:00Z by tester@host",
        "ui       1     2      blue    10 % green  r3 canary 2026-12-04 10:00Z by tester@host",
        "green holds a staged version: release:canary N sends N % of new visitors to it",
        "",
      ].join("\n"),
    );

    expect(await h.run("status", "--json")).toBe(ExitCode.Ok);
    const json = JSON.parse(h.stdout()) as Record<string, unknown>;
    expect(json).toMatchObject({
      location: h.file(),
      environment: "local",
      revision: 3,
      stableColour: "blue",
      candidateColour: "green",
      canaryWeight: 10,
      staged: true,
      rows: [
        { service: "manager", blue: "1", green: "2", stableColour: "blue", canaryWeight: 10, lastChange: { revision: 3, command: "canary", by: "tester@host", at: NOW.toISOString() } },
        { service: "ui", blue: "1", green: "2" },
      ],
    });
  });

  test("a corrupt state file: exit 5 and a message naming the file", async () => {
    const h = harness();
    writeFileSync(ensureFolder(h.file()), "{ not json");
    expect(await h.run("status")).toBe(ExitCode.CorruptState);
    expect(h.stderr()).toContain(`release:status: ${h.file()} is not valid JSON`);
  });
});

describe("bad input: clear message, non-zero exit, state file byte-identical", () => {
  let h: Harness;
  let before: string;
  beforeEach(async () => {
    h = harness();
    // Version 1 stable in blue, version 2 staged in green.
    expect(await h.run("stage")).toBe(ExitCode.Ok);
    expect(await h.run("stage")).toBe(ExitCode.Ok);
    before = readFileSync(h.file(), "utf8");
  });
  afterEach(() => {
    expect(readFileSync(h.file(), "utf8")).toBe(before);
  });

  test.each([
    ["150", "150"],
    ["-5", "-5"],
    ["abc", "'abc'"],
    ["10.5", "10.5"],
    ["1e2", "'1e2'"],
    ["", "''"],
  ])("canary %s", async (weight, shown) => {
    expect(await h.run("canary", weight)).toBe(ExitCode.Usage);
    expect(h.stderr()).toBe(`release:canary: weight must be a whole number from 0 to 100; fractions are not allowed, got ${shown}\n`);
    expect(h.stdout()).toBe("");
  });

  test("canary 150 --json also prints the error as JSON", async () => {
    expect(await h.run("canary", "150", "--json")).toBe(ExitCode.Usage);
    expect(JSON.parse(h.stdout())).toEqual({ ok: false, error: { code: "invalid_input", exitCode: 2, message: "weight must be a whole number from 0 to 100; fractions are not allowed, got 150" } });
  });

  test("promote at weight 0", async () => {
    expect(await h.run("promote")).toBe(ExitCode.Refused);
    expect(h.stderr()).toBe("release:promote: the canary weight is 0: run release:canary N first, or promote is pointless (green has had no traffic)\n");
  });

  test("stage while a canary is running says what to do first, and builds nothing", async () => {
    expect(await h.run("canary", "10")).toBe(ExitCode.Ok);
    before = readFileSync(h.file(), "utf8");
    const builds = h.calls.length;
    expect(await h.run("stage")).toBe(ExitCode.Refused);
    expect(h.stderr()).toBe("release:stage: a canary is running at 10 % on green: run release:promote or release:rollback first\n");
    expect(h.calls).toHaveLength(builds);
  });

  test.each([
    [["canary"], /missing required argument 'weight'/],
    [["canary", "10", "20"], /too many arguments/],
    [["canary", "10", "--env", "qa"], /argument 'qa' is invalid\. Allowed choices are local, dev, stage, prod/],
    [["canary", "10", "--bogus"], /unknown option '--bogus'/],
    [["deploy"], /unknown command 'deploy'/],
    [[], /name a command|Usage: release/],
  ])("usage errors %j exit 2", async (argv, message) => {
    expect(await h.run(...argv)).toBe(ExitCode.Usage);
    expect(h.stderr()).toMatch(message);
  });

  test("--watch on local, and a bad --watch duration", async () => {
    expect(await h.run("canary", "10", "--watch", "10m")).toBe(ExitCode.Usage);
    expect(h.stderr()).toBe("release:canary: --watch reads CloudWatch alarms: use it with --env dev, stage or prod, not local\n");
    expect(await h.run("canary", "10", "--env", "dev", "--watch", "soon", "--yes")).toBe(ExitCode.Usage);
    expect(h.stderr()).toBe("release:canary: --watch must be a duration such as 30s, 10m or 1h (1 s to 24 h), got 'soon'\n");
  });
});

describe("nothing staged", () => {
  test.each([
    [["canary", "10"], "release:canary: nothing staged: run release:stage first\n"],
    [["promote"], "release:promote: nothing staged: run release:stage first\n"],
  ])("%j is refused (exit 3) and writes no state file", async (argv, message) => {
    const h = harness();
    expect(await h.run(...argv)).toBe(ExitCode.Refused);
    expect(h.stderr()).toBe(message);
    expect(existsSync(h.file())).toBe(false);
  });

  test.each<[string[]]>([[["canary", "10"]], [["promote"]]])("%j right after the first stage (it went into the stable colour) is refused (exit 3); the file is byte-identical", async (argv) => {
    const h = harness();
    expect(await h.run("stage")).toBe(ExitCode.Ok);
    const before = readFileSync(h.file(), "utf8");
    expect(await h.run(...argv)).toBe(ExitCode.Refused);
    expect(h.stderr()).toBe(`release:${argv[0] ?? ""}: nothing staged: run release:stage first\n`);
    expect(readFileSync(h.file(), "utf8")).toBe(before);
  });
});

describe("local apply", () => {
  test("stage builds through the builder and records its versions: the first in the stable colour, the next in the idle colour", async () => {
    const h = harness();
    expect(await h.run("stage", "--json")).toBe(ExitCode.Ok);
    expect(h.calls).toEqual(["build /project /project/.healthmate"]);
    const first = JSON.parse(h.stdout()) as { changed: boolean; revision: number; state: ReleaseState; summary: string };
    expect(first).toMatchObject({ ok: true, command: "stage", environment: "local", changed: true, revision: 1 });
    expect(first.state.services).toEqual({ manager: { blue: "1", green: null }, ui: { blue: "1", green: null } });

    expect(await h.run("stage", "--json")).toBe(ExitCode.Ok);
    expect(h.calls).toEqual(["build /project /project/.healthmate", "build /project /project/.healthmate"]);
    const json = JSON.parse(h.stdout()) as { changed: boolean; revision: number; state: ReleaseState; summary: string };
    expect(json).toMatchObject({ ok: true, command: "stage", environment: "local", changed: true, revision: 2 });
    expect(json.state.services).toEqual({ manager: { blue: "1", green: "2" }, ui: { blue: "1", green: "2" } });
  });

  test("canary, promote and rollback print one or two lines and save the state", async () => {
    const h = harness();
    await h.run("stage");
    await h.run("stage");
    expect(await h.run("canary", "25")).toBe(ExitCode.Ok);
    expect(h.stdout()).toBe("local revision 3: canary 0 % → 25 % on green (manager 2, ui 2); blue (manager 1, ui 1) serves the rest\nthe local edge picks it up within a second\n");
    expect(await h.run("rollback")).toBe(ExitCode.Ok);
    expect(h.stdout()).toMatch(/^local revision 4: rolled back green 25 % → 0 %/);
    expect(await h.run("canary", "100")).toBe(ExitCode.Ok);
    expect(await h.run("promote")).toBe(ExitCode.Ok);
    const state = JSON.parse(readFileSync(h.file(), "utf8")) as ReleaseState;
    expect(state).toMatchObject({ revision: 6, stableColour: "green", canaryWeight: 0 });
    expect(state.history.map((entry) => entry.command)).toEqual(["stage", "stage", "canary", "rollback", "canary", "promote"]);
  });

  test("re-running a command is a no-op: exit 0, 'nothing to do', file byte-identical", async () => {
    const h = harness();
    await h.run("stage");
    await h.run("stage");
    await h.run("canary", "10");
    const before = readFileSync(h.file(), "utf8");
    expect(await h.run("canary", "10")).toBe(ExitCode.Ok);
    expect(h.stdout()).toBe("nothing to do: green already gets 10 %\n");
    await h.run("rollback");
    const rolledBack = readFileSync(h.file(), "utf8");
    expect(rolledBack).not.toBe(before);
    expect(await h.run("rollback")).toBe(ExitCode.Ok);
    expect(h.stdout()).toBe("nothing to do: the canary weight is already 0 (all new visitors on blue)\n");
    expect(readFileSync(h.file(), "utf8")).toBe(rolledBack);
  });

  test("a revision conflict at save is exit 4 with the retry message", async () => {
    const h = harness({
      store: (environment, file) => {
        const real = new FileStateStore({ path: file, environment });
        return { location: real.location, load: () => real.load(), save: async (_next, expected) => Promise.reject(new StateConflictError(expected, expected + 1)) };
      },
    });
    expect(await h.run("stage")).toBe(ExitCode.Conflict);
    expect(h.stderr()).toBe("release:stage: state changed (revision 0 → 1) since this command read it; run it again\n");
  });

  test("an unexpected failure is exit 1 and says so", async () => {
    const h = harness({ store: () => ({ location: "x", load: () => Promise.reject(new Error("disk on fire")), save: () => Promise.resolve() }) });
    expect(await h.run("rollback")).toBe(ExitCode.Failed);
    expect(h.stderr()).toMatch(/^release:rollback: unexpected error: Error: disk on fire/);
  });
});

describe("--dry-run", () => {
  test("every command prints old → new and the Terraform diff, and writes nothing", async () => {
    const h = harness();
    await h.run("stage");
    await h.run("stage");
    await h.run("canary", "10");
    const before = readFileSync(h.file(), "utf8");

    expect(await h.run("canary", "50", "--dry-run")).toBe(ExitCode.Ok);
    expect(h.stdout()).toBe(
      [
        "dry run: release:canary on local (revision 3 → 4; nothing is written)",
        "  canary 10 % → 50 % on green (manager 2, ui 2); blue (manager 1, ui 1) serves the rest",
        "  state:",
        "    canaryWeight  10 → 50",
        "  Terraform (2 change(s) in manager, ui):",
        '    manager  aws_lambda_alias.live                          routing_config.additional_version_weights.2  0.1 → 0.5',
        '    ui       aws_cloudfrontkeyvaluestore_key.canary_weight  value                                        "10" → "50"',
        "",
      ].join("\n"),
    );

    expect(await h.run("promote", "--dry-run", "--json")).toBe(ExitCode.Ok);
    const promote = JSON.parse(h.stdout()) as { dryRun: boolean; changes: unknown[]; terraform: { stack: string; address: string; attribute: string }[] };
    expect(promote.dryRun).toBe(true);
    expect(promote.changes).toEqual([
      { field: "stableColour", before: "blue", after: "green" },
      { field: "canaryWeight", before: 10, after: 0 },
    ]);
    expect(promote.terraform.map((change) => `${change.stack} ${change.address} ${change.attribute}`)).toEqual([
      "manager aws_lambda_alias.live function_version",
      "manager aws_lambda_alias.live routing_config",
      "ui aws_cloudfrontkeyvaluestore_key.canary_weight value",
      "ui aws_cloudfrontkeyvaluestore_key.stable_colour value",
    ]);

    expect(await h.run("rollback", "--dry-run")).toBe(ExitCode.Ok);
    expect(h.stdout()).toContain("canaryWeight  10 → 0");
    const builds = h.calls.length;
    expect(await h.run("canary", "0", "--dry-run")).toBe(ExitCode.Ok);
    expect(readFileSync(h.file(), "utf8")).toBe(before);
    expect(h.calls).toHaveLength(builds);
  });

  test("stage --dry-run builds nothing and shows placeholders; refusals still refuse", async () => {
    const h = harness();
    // A fresh environment: the first version would go into the stable colour.
    expect(await h.run("stage", "--dry-run")).toBe(ExitCode.Ok);
    expect(h.calls).toEqual([]);
    expect(existsSync(h.file())).toBe(false);
    expect(h.stdout()).toContain("services.manager.blue  (empty) → new");
    expect(h.stdout()).toContain("note: --dry-run builds nothing");
    expect(await h.run("promote", "--dry-run")).toBe(ExitCode.Refused);

    // With version 1 stable, the next one would go into the idle colour.
    expect(await h.run("stage")).toBe(ExitCode.Ok);
    const before = readFileSync(h.file(), "utf8");
    expect(await h.run("stage", "--dry-run")).toBe(ExitCode.Ok);
    expect(h.calls).toHaveLength(1);
    expect(h.stdout()).toContain("services.manager.green  (empty) → new");
    expect(readFileSync(h.file(), "utf8")).toBe(before);
  });
});

describe("dev, stage and prod ask before changing anything", () => {
  test("no terminal and no --yes: refused (exit 9), nothing applied, file untouched", async () => {
    const h = harness({ isTTY: false });
    writeState(ensureFolder(h.file("prod")), "prod", { kind: "stage", versions: { manager: "2" } }, { kind: "stage", versions: { manager: "3" } });
    const before = readFileSync(h.file("prod"), "utf8");
    expect(await h.run("canary", "10", "--env", "prod")).toBe(ExitCode.NotConfirmed);
    expect(h.stderr()).toContain("this changes prod and there is no terminal to ask: pass --yes to confirm");
    expect(h.calls).toEqual([]);
    expect(readFileSync(h.file("prod"), "utf8")).toBe(before);
  });

  test("a terminal answering no: exit 9; answering yes: preflight, save, reconcile in that order", async () => {
    const no = harness({ isTTY: true, answer: false });
    writeState(ensureFolder(no.file("dev")), "dev", { kind: "stage", versions: { manager: "2" } }, { kind: "stage", versions: { manager: "3" } });
    expect(await no.run("canary", "10", "--env", "dev")).toBe(ExitCode.NotConfirmed);
    expect(no.questions).toEqual(["release:canary on dev: canary 0 % → 10 % on green (manager 3); blue (manager 2) serves the rest\nApply to dev? [y/N] "]);

    const yes = harness({ isTTY: true, answer: true });
    writeState(ensureFolder(yes.file("dev")), "dev", { kind: "stage", versions: { manager: "2" } }, { kind: "stage", versions: { manager: "3" } });
    expect(await yes.run("canary", "10", "--env", "dev")).toBe(ExitCode.Ok);
    expect(yes.calls).toEqual(["preflight canary", "reconcile canary r3"]);
    expect(yes.stdout()).toBe("dev revision 3: canary 0 % → 10 % on green (manager 3); blue (manager 2) serves the rest\ndeployed manager, ui\n");
  });

  test("--yes skips the question; stage asks before it publishes anything", async () => {
    const h = harness({ isTTY: false });
    expect(await h.run("stage", "--env", "stage")).toBe(ExitCode.NotConfirmed);
    expect(h.calls).toEqual([]);
    expect(await h.run("stage", "--env", "stage", "--yes")).toBe(ExitCode.Ok);
    expect(h.calls).toEqual(["aws stage", "preflight stage", "reconcile stage r1"]);
    expect(h.questions).toEqual([]);
  });

  test("--dry-run and no-op runs never ask", async () => {
    const h = harness({ isTTY: false });
    expect(await h.run("rollback", "--env", "prod")).toBe(ExitCode.Ok);
    expect(await h.run("rollback", "--env", "prod", "--dry-run")).toBe(ExitCode.Ok);
    expect(h.calls).toEqual([]);
  });
});

test("--help exits 0", async () => {
  const h = harness();
  expect(await h.run("canary", "--help")).toBe(ExitCode.Ok);
  expect(h.stdout()).toContain("--dry-run");
  expect(h.stdout()).toContain("--watch <duration>");
});
