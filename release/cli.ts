import { Command, CommanderError, Option } from "commander";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Applier, ApplyIo } from "./apply/types";
import { diffSynth, type ResourceChange, type SynthesizedStacks } from "./diff";
import { ReleaseError, ReleaseErrorCode, StateConflictError } from "./errors";
import { renderPlan, renderStatus } from "./format";
import { assertCanStage, describeState, plan, weightRuleMessage, type ReleaseCommand, type ReleasePlan, type StagedVersions } from "./plan";
import { candidateColour, ENVIRONMENTS, type EnvironmentName, type ReleaseState } from "./state";
import type { ReleaseStateStore } from "./store";

/**
 * `npm run release:<status|stage|canary|promote|rollback> -- [options]` (ARCHITECTURE §4).
 * Parse → pure plan (release/plan.ts) → apply (release/apply/*). Everything the commands touch
 * is injected through `CliDeps`; only the entry point at the bottom of this file reads
 * process.env and process.argv.
 */

/** Exit codes, one per kind of failure; `EXIT_CODES` maps every ReleaseError code here. */
export const ExitCode = {
  Ok: 0,
  /** An unexpected error (a bug, or an I/O failure the message names). */
  Failed: 1,
  /** Bad arguments or options. */
  Usage: 2,
  /** The state does not allow the command. */
  Refused: 3,
  /** The state changed since it was read, or its lock stayed busy: run the command again. */
  Conflict: 4,
  /** The stored state is unreadable or invalid. */
  CorruptState: 5,
  /** A candidate alarm is firing: the weight was not raised. */
  AlarmFiring: 6,
  /** --watch saw an alarm and rolled back. */
  RolledBack: 7,
  /** Build or deploy failed. */
  ApplyFailed: 8,
  /** A change to dev/stage/prod was not confirmed. */
  NotConfirmed: 9,
} as const;

export const EXIT_CODES: Readonly<Record<ReleaseErrorCode, number>> = {
  [ReleaseErrorCode.InvalidInput]: ExitCode.Usage,
  [ReleaseErrorCode.Refused]: ExitCode.Refused,
  [ReleaseErrorCode.StateConflict]: ExitCode.Conflict,
  [ReleaseErrorCode.StateLocked]: ExitCode.Conflict,
  [ReleaseErrorCode.CorruptState]: ExitCode.CorruptState,
  [ReleaseErrorCode.AlarmFiring]: ExitCode.AlarmFiring,
  [ReleaseErrorCode.RolledBack]: ExitCode.RolledBack,
  [ReleaseErrorCode.ApplyFailed]: ExitCode.ApplyFailed,
  [ReleaseErrorCode.NotConfirmed]: ExitCode.NotConfirmed,
};

export interface CliDeps {
  /** The state store of an environment (release/store.ts). */
  readonly stores: (environment: EnvironmentName) => ReleaseStateStore;
  /** How plans reach an environment: `localApplier` (with the local builder) or `awsApplier`. */
  readonly appliers: (environment: EnvironmentName) => Applier;
  /**
   * The stacks as main.ts renders a state (release/diff.ts `synthesizeWithState`), for the
   * Terraform part of --dry-run.
   * @default - --dry-run shows the state change only
   */
  readonly synthesize?: (state: ReleaseState) => Promise<SynthesizedStacks>;
  readonly clock: () => Date;
  /** Recorded in the history: user@host. */
  readonly actor: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether a person can answer the confirmation question. */
  readonly isTTY: boolean;
  /** Asks a yes/no question on the terminal (only called when isTTY). */
  readonly confirm: (question: string) => Promise<boolean>;
}

export const COMMAND_NAMES = ["status", "stage", "canary", "promote", "rollback"] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

interface ParsedArgs {
  readonly name: CommandName;
  readonly environment: EnvironmentName;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly yes: boolean;
  readonly weight?: string;
  readonly watch?: string;
}

/** Shown in place of a version a --dry-run stage does not build. */
export const PLACEHOLDER_VERSION = "new";

export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, deps);
  } catch (error) {
    // Commander has already printed its message (and the help hint) to stderr.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    throw error;
  }
  try {
    return await execute(args, deps);
  } catch (error) {
    return report(error, args, deps);
  }
}

/** The one place failures become exit codes. */
function report(error: unknown, args: ParsedArgs, deps: CliDeps): number {
  if (error instanceof ReleaseError) {
    const exitCode = EXIT_CODES[error.code];
    deps.stderr(`release:${args.name}: ${error.message}\n`);
    if (args.json) deps.stdout(`${JSON.stringify({ ok: false, error: { code: error.code, exitCode, message: error.message } }, null, 2)}\n`);
    return exitCode;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  deps.stderr(`release:${args.name}: unexpected error: ${message}\n`);
  if (args.json) deps.stdout(`${JSON.stringify({ ok: false, error: { code: "unexpected", exitCode: ExitCode.Failed, message: error instanceof Error ? error.message : String(error) } }, null, 2)}\n`);
  return ExitCode.Failed;
}

function parseArgs(argv: readonly string[], deps: CliDeps): ParsedArgs {
  let parsed: ParsedArgs | undefined;
  const program = new Command("release")
    .description("Release state and commands: stage, canary, promote, rollback, status (ARCHITECTURE §4).")
    .exitOverride()
    .configureOutput({ writeOut: deps.stdout, writeErr: deps.stderr })
    .showHelpAfterError("(npm run release:<command> -- --help shows the options)");

  type Options = { env: EnvironmentName; json: boolean; dryRun?: boolean; yes?: boolean; watch?: string };
  const define = (name: CommandName, description: string, changes: boolean): Command => {
    const command = program
      .command(name)
      .description(description)
      .addOption(new Option("--env <name>", "environment").choices(ENVIRONMENTS).default("local"))
      .option("--json", "print JSON instead of text", false)
      .allowExcessArguments(false);
    if (changes) {
      command.option("--dry-run", "print the plan (old → new state and the Terraform resources that change) and change nothing", false);
      command.option("--yes", "do not ask for confirmation (dev, stage and prod ask)", false);
    }
    return command;
  };
  const take = (name: CommandName, options: Options, weight?: string) => {
    parsed = { name, environment: options.env, dryRun: options.dryRun ?? false, json: options.json, yes: options.yes ?? false, weight, watch: options.watch };
  };

  define("status", "show the release state: versions per colour, stable colour, weight, last change", false).action((options: Options) => take("status", options));
  define("stage", "build the current source into a new version and put it in the idle colour at weight 0 (a first version: the stable colour)", true).action((options: Options) => take("stage", options));
  define("canary", "send <weight> % of new visitors to the idle colour", true)
    .argument("<weight>", "whole number 0-100")
    .option("--watch <duration>", "keep checking the idle colour's alarms for this long (30s, 10m, 1h) and roll back on alarm")
    .action((weight: string, options: Options) => take("canary", options, weight));
  define("promote", "make the idle colour stable (weight back to 0)", true).action((options: Options) => take("promote", options));
  define("rollback", "weight 0 for the idle colour at once; always allowed", true).action((options: Options) => take("rollback", options));

  program.parse([...argv], { from: "user" });
  if (!parsed) {
    // No command: commander prints the help; an explicit error keeps the exit code non-zero.
    program.error(`error: name a command: ${COMMAND_NAMES.join(", ")}`, { exitCode: ExitCode.Usage });
  }
  return parsed as ParsedArgs;
}

/** A whole number 0-100; anything else is a clear usage error. */
export function parseWeight(raw: string): number {
  const text = raw.trim();
  if (/^\d{1,3}$/.test(text) && Number(text) <= 100) return Number(text);
  const looksNumeric = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text);
  throw new ReleaseError(ReleaseErrorCode.InvalidInput, weightRuleMessage(looksNumeric ? text : `'${raw}'`));
}

const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000 };
const MAX_WATCH_MS = 24 * 3_600_000;

/** `30s`, `10m`, `1h` → milliseconds (1 s to 24 h). */
export function parseDuration(raw: string): number {
  const match = /^(\d+)(s|m|h)$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * (DURATION_UNITS[match[2] as string] as number) : Number.NaN;
  if (!(ms >= 1000 && ms <= MAX_WATCH_MS)) {
    throw new ReleaseError(ReleaseErrorCode.InvalidInput, `--watch must be a duration such as 30s, 10m or 1h (1 s to 24 h), got '${raw}'`);
  }
  return ms;
}

async function execute(args: ParsedArgs, deps: CliDeps): Promise<number> {
  const io: ApplyIo = { progress: (line) => deps.stderr(`${line}\n`) };
  const store = deps.stores(args.environment);

  if (args.name === "status") {
    const { state } = await store.load();
    const description = describeState(state);
    deps.stdout(args.json ? `${JSON.stringify({ location: store.location, ...description }, null, 2)}\n` : renderStatus(description, store.location));
    return ExitCode.Ok;
  }

  // Parse everything before touching anything.
  const weight = args.name === "canary" ? parseWeight(args.weight ?? "") : undefined;
  const watchMs = args.watch !== undefined ? parseDuration(args.watch) : undefined;
  const applier = deps.appliers(args.environment);
  if (watchMs !== undefined && !applier.watch) {
    throw new ReleaseError(ReleaseErrorCode.InvalidInput, `--watch reads CloudWatch alarms: use it with --env dev, stage or prod, not ${args.environment}`);
  }

  const loaded = await store.load();
  const state = loaded.state;
  let command: ReleaseCommand;
  let notes: readonly string[] = [];
  switch (args.name) {
    case "stage": {
      assertCanStage(state);
      let versions: StagedVersions;
      if (args.dryRun) {
        versions = Object.fromEntries(applier.stageServices(state).map((service) => [service, PLACEHOLDER_VERSION]));
        notes = [`--dry-run builds nothing: '${PLACEHOLDER_VERSION}' stands for the versions the build would create`];
      } else {
        await confirm(args, deps, `release:stage on ${args.environment}: build the current source and put it in ${candidateColour(state)} at weight 0 (a service's first version goes into ${state.stableColour}, the stable colour)`);
        const staged = await applier.stage(state, io);
        notes = staged.notes ?? [];
        versions = staged.versions;
        if (Object.keys(versions).length === 0) {
          const summary = `nothing new to stage${notes.length > 0 ? `: ${notes.join("; ")}` : ""}`;
          deps.stdout(args.json ? `${JSON.stringify({ ok: true, command: "stage", environment: args.environment, changed: false, revision: loaded.revision, summary, notes }, null, 2)}\n` : `${summary}\n`);
          return ExitCode.Ok;
        }
      }
      command = { kind: "stage", versions };
      break;
    }
    case "canary":
      command = { kind: "canary", weight: weight as number };
      break;
    case "promote":
      command = { kind: "promote" };
      break;
    case "rollback":
      command = { kind: "rollback" };
      break;
  }

  const planned = plan(state, command, { now: deps.clock(), actor: deps.actor });

  if (args.dryRun) {
    const terraform = planned.changed && deps.synthesize ? diffSynth(await deps.synthesize(planned.previous), await deps.synthesize(planned.next)) : undefined;
    printPlan(args, deps, planned, { notes, terraform });
    return ExitCode.Ok;
  }
  if (!planned.changed) {
    printPlan(args, deps, planned, { notes });
    return ExitCode.Ok;
  }

  if (command.kind !== "stage") await confirm(args, deps, `release:${command.kind} on ${args.environment}: ${planned.summary}`);
  await applier.preflight(planned, io);
  await store.save(planned.next, loaded.revision);
  const applied = await applier.reconcile(planned, io);
  printPlan(args, deps, planned, { notes, applied });

  if (watchMs !== undefined && applier.watch) {
    if (planned.next.canaryWeight === 0) {
      io.progress("watch: the weight is 0, nothing to watch");
      return ExitCode.Ok;
    }
    const colour = candidateColour(planned.next);
    io.progress(`watch: checking ${colour}'s alarms for ${args.watch}`);
    const result = await applier.watch(planned, watchMs, io);
    if (result.firing.length > 0) {
      io.progress(`watch: alarm(s) firing on ${colour}: ${result.firing.join(", ")}; rolling back`);
      const rolledBack = await rollBackAfterAlarm(args, deps, store, applier, io);
      throw new ReleaseError(ReleaseErrorCode.RolledBack, `alarm(s) firing on ${colour} during the watch: ${result.firing.join(", ")}; ${rolledBack}`);
    }
    io.progress(`watch: no alarm on ${colour} for ${args.watch}`);
  }
  return ExitCode.Ok;
}

/** The rollback path of --watch: no gate, no question, and a few retries if another command races it. */
async function rollBackAfterAlarm(args: ParsedArgs, deps: CliDeps, store: ReleaseStateStore, applier: Applier, io: ApplyIo): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const loaded = await store.load();
    const rollback = plan(loaded.state, { kind: "rollback" }, { now: deps.clock(), actor: deps.actor });
    if (!rollback.changed) return `the weight was already 0 (revision ${loaded.revision})`;
    try {
      await store.save(rollback.next, loaded.revision);
    } catch (error) {
      if (error instanceof StateConflictError && attempt < 3) continue;
      throw error;
    }
    const applied = await applier.reconcile(rollback, io);
    printPlan(args, deps, rollback, { applied });
    return `rolled back to 0 % at revision ${rollback.next.revision}`;
  }
}

async function confirm(args: ParsedArgs, deps: CliDeps, what: string): Promise<void> {
  if (args.environment === "local" || args.yes) return;
  if (!deps.isTTY) {
    throw new ReleaseError(ReleaseErrorCode.NotConfirmed, `${what}\nthis changes ${args.environment} and there is no terminal to ask: pass --yes to confirm`);
  }
  if (!(await deps.confirm(`${what}\nApply to ${args.environment}? [y/N] `))) throw new ReleaseError(ReleaseErrorCode.NotConfirmed, "not confirmed; nothing changed");
}

function printPlan(
  args: ParsedArgs,
  deps: CliDeps,
  planned: ReleasePlan,
  extra: { readonly notes?: readonly string[]; readonly terraform?: readonly ResourceChange[]; readonly applied?: string },
): void {
  if (args.json) {
    deps.stdout(
      `${JSON.stringify(
        {
          ok: true,
          command: planned.command.kind,
          environment: args.environment,
          dryRun: args.dryRun,
          changed: planned.changed,
          revision: planned.next.revision,
          summary: planned.summary,
          changes: planned.changes,
          notes: extra.notes ?? [],
          ...(extra.terraform ? { terraform: extra.terraform } : {}),
          ...(extra.applied ? { applied: extra.applied } : {}),
          state: planned.next,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  if (args.dryRun) {
    deps.stdout(renderPlan(planned, { environment: args.environment, dryRun: true, terraform: extra.terraform, notes: extra.notes }));
    return;
  }
  const notes = (extra.notes ?? []).map((note) => `note: ${note}\n`).join("");
  if (!planned.changed) {
    deps.stdout(`${notes}${planned.summary}\n`);
    return;
  }
  deps.stdout(`${notes}${args.environment} revision ${planned.next.revision}: ${planned.summary}\n${extra.applied ? `${extra.applied}\n` : ""}`);
}

// ---------------------------------------------------------------------------------------------
// Entry point: the only code here that reads process.env / process.argv.

function isEntryPoint(): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(resolve(script)).href === import.meta.url;
}

if (isEntryPoint()) {
  const { entryDeps } = await import("./entry");
  process.exitCode = await runCli(process.argv.slice(2), await entryDeps(process.env, process.cwd()));
}
