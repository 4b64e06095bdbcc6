import type { ReleasePlan, StagedVersions } from "../plan";
import type { ReleasedService, ReleaseState } from "../state";

/**
 * How a release command reaches its target once the planner has decided what changes. The CLI
 * drives every applier the same way: `stage` (stage only) → plan → `preflight` → save the
 * state (revision check) → `reconcile` → `watch` (canary with --watch).
 */
export interface ApplyIo {
  /** A progress line (the CLI writes it to stderr, so --json output stays clean). */
  progress(line: string): void;
}

export interface StageResult {
  /** The new version of each service, for the candidate slots. Empty: nothing new to stage. */
  readonly versions: StagedVersions;
  /** Why some or all services have nothing new (shown to the operator). */
  readonly notes?: readonly string[];
}

export interface WatchResult {
  /** Alarms found firing (empty: the whole watch passed). */
  readonly firing: readonly string[];
}

export interface Applier {
  /** "local" or "aws": for messages. */
  readonly target: "local" | "aws";
  /** Services `stage` produces versions for (a --dry-run shows placeholders for them). */
  stageServices(state: ReleaseState): readonly ReleasedService[];
  /** Builds (local) or publishes (AWS) the current source as new immutable versions. */
  stage(state: ReleaseState, io: ApplyIo): Promise<StageResult>;
  /** Checks before the state is saved; throws ReleaseError to refuse (e.g. an alarm firing). */
  preflight(plan: ReleasePlan, io: ApplyIo): Promise<void>;
  /** After the save: makes the target match the new state. Resolves to one line saying what happened. */
  reconcile(plan: ReleasePlan, io: ApplyIo): Promise<string>;
  /**
   * Keeps checking the candidate's health for `durationMs` after a canary.
   * @default - not supported (local has no alarms)
   */
  watch?(plan: ReleasePlan, durationMs: number, io: ApplyIo): Promise<WatchResult>;
}
