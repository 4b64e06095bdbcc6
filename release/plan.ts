import { ReleaseError, ReleaseErrorCode } from "./errors";
import {
  candidateColour,
  pointersOf,
  RELEASED_SERVICES,
  releaseStateSchema,
  versionSchema,
  type HistoryEntry,
  type ReleasedService,
  type ReleaseState,
  type Slots,
} from "./state";
import type { Colour } from "../modules/release/router/contract";

/**
 * The release planner (STYLE §9): a pure function from (state, command) to the next state and
 * what changed. No file system, process, clock or network — the caller passes `now` and `actor`.
 * Every effective change bumps the revision by one and appends one history entry; a command
 * that changes nothing returns `changed: false` and the state unchanged (re-running is a no-op).
 */
export const ReleaseCommandKind = { Stage: "stage", Canary: "canary", Promote: "promote", Rollback: "rollback" } as const;
export type ReleaseCommandKind = (typeof ReleaseCommandKind)[keyof typeof ReleaseCommandKind];

export type StagedVersions = Readonly<Partial<Record<ReleasedService, string>>>;

export type ReleaseCommand =
  /** Put new versions in the candidate colour's slots; the weight stays 0. */
  | { readonly kind: "stage"; readonly versions: StagedVersions }
  /** Send `weight` % (whole number 0-100) of new visitors to the candidate colour. */
  | { readonly kind: "canary"; readonly weight: number }
  /** The candidate becomes stable; weight 0. */
  | { readonly kind: "promote" }
  /** Weight 0 at once; always allowed. */
  | { readonly kind: "rollback" };

export interface PlanContext {
  /** Time recorded in the history entry. */
  readonly now: Date;
  /** Who ran the command (user@host), 1-200 characters. */
  readonly actor: string;
}

/** One pointer that moves: `canaryWeight`, `stableColour` or `services.<service>.<colour>`. */
export interface PointerChange {
  readonly field: string;
  readonly before: string | number | null;
  readonly after: string | number | null;
}

export interface ReleasePlan {
  readonly command: ReleaseCommand;
  readonly previous: ReleaseState;
  /** The state to save (identical to `previous` when nothing changes). */
  readonly next: ReleaseState;
  readonly changed: boolean;
  /** One line: what changes, from → to (or why nothing does). */
  readonly summary: string;
  readonly changes: readonly PointerChange[];
}

export const MIN_WEIGHT = 0;
export const MAX_WEIGHT = 100;

/** The one wording of the weight rule (the CLI's parser uses it too). */
export function weightRuleMessage(got: string): string {
  return `weight must be a whole number from ${MIN_WEIGHT} to ${MAX_WEIGHT}; fractions are not allowed, got ${got}`;
}

export function plan(state: ReleaseState, command: ReleaseCommand, context: PlanContext): ReleasePlan {
  validateActor(context.actor);
  switch (command.kind) {
    case "stage":
      return planStage(state, command, context);
    case "canary":
      return planCanary(state, command, context);
    case "promote":
      return planPromote(state, command, context);
    case "rollback":
      return planRollback(state, command, context);
  }
}

/** Refuses `stage` while a canary runs: replacing the candidate would move visitors mid-canary. */
export function assertCanStage(state: ReleaseState): void {
  if (state.canaryWeight > 0) {
    throw new ReleaseError(ReleaseErrorCode.Refused, `a canary is running at ${state.canaryWeight} % on ${candidateColour(state)}: run release:promote or release:rollback first`);
  }
}

/**
 * True when the candidate colour holds something new: a version that differs from the stable
 * one in at least one service, put there by a `stage` after the last `promote`. (After a
 * promote the candidate slots hold the previous stable versions; a canary of those would be a
 * surprise, so they do not count as staged.)
 */
export function hasStagedCandidate(state: ReleaseState): boolean {
  const candidate = candidateColour(state);
  const differs = RELEASED_SERVICES.some((service) => {
    const slots = state.services[service];
    return slots !== undefined && slots[candidate] !== null && slots[candidate] !== slots[state.stableColour];
  });
  if (!differs) return false;
  const lastPromote = state.history.findLastIndex((entry) => entry.command === "promote");
  const stages = state.history.slice(lastPromote + 1).filter((entry) => entry.command === "stage");
  // A state with no stage or promote in its history was written by hand: trust its slots.
  if (lastPromote === -1 && stages.length === 0) return true;
  // Since the last promote a stage must have written a candidate slot. A stage that only gave a
  // new service its first (stable) version leaves the candidate holding the previous release.
  return stages.some((entry) =>
    RELEASED_SERVICES.some((service) => (entry.from.services[service]?.[candidate] ?? null) !== (entry.to.services[service]?.[candidate] ?? null)),
  );
}

/** "manager 4, ui 4" — the versions a colour holds, or "empty". */
export function versionsText(state: ReleaseState, colour: Colour): string {
  const parts = RELEASED_SERVICES.flatMap((service) => {
    const version = state.services[service]?.[colour];
    return version ? [`${service} ${version}`] : [];
  });
  return parts.length > 0 ? parts.join(", ") : "empty";
}

function planStage(state: ReleaseState, command: Extract<ReleaseCommand, { kind: "stage" }>, context: PlanContext): ReleasePlan {
  const entries = Object.entries(command.versions).filter((entry): entry is [string, string] => entry[1] !== undefined);
  if (entries.length === 0) {
    throw new ReleaseError(ReleaseErrorCode.InvalidInput, `stage needs a version for at least one of ${RELEASED_SERVICES.join(", ")}, got none`);
  }
  for (const [service, version] of entries) {
    if (!(RELEASED_SERVICES as readonly string[]).includes(service)) {
      throw new ReleaseError(ReleaseErrorCode.InvalidInput, `stage: unknown service '${service}'; services are ${RELEASED_SERVICES.join(", ")}`);
    }
    if (!versionSchema.safeParse(version).success) {
      throw new ReleaseError(ReleaseErrorCode.InvalidInput, `stage: '${version}' is not a version of ${service} (1-64 letters, digits, '.', '_' or '-', starting with a letter or digit)`);
    }
  }
  assertCanStage(state);

  // A service's first version goes into the stable colour: there is nothing to canary against,
  // and an empty stable slot would leave visitors of the stable colour with nothing to serve.
  const stable = state.stableColour;
  const candidate = candidateColour(state);
  const services = copyServices(state);
  const placed: string[] = [];
  for (const [service, version] of entries as [ReleasedService, string][]) {
    const slots = services[service] ?? { blue: null, green: null };
    if (slots[stable] === version) continue; // already the stable version: nothing to stage
    const colour = slots[stable] === null ? stable : candidate;
    services[service] = { ...slots, [colour]: version };
    placed.push(`${service} ${version} in ${colour}${colour === stable ? " (first release, stable)" : ""}`);
  }
  const next = { ...state, services };
  if (samePointers(state, next)) return unchanged(state, command, `nothing to do: already staged (${placed.join(", ")})`);
  return changed(state, next, command, context, `staged ${placed.join(", ")} at weight 0; ${stable} stays stable`);
}

function planCanary(state: ReleaseState, command: Extract<ReleaseCommand, { kind: "canary" }>, context: PlanContext): ReleasePlan {
  const weight = command.weight;
  if (!Number.isInteger(weight) || weight < MIN_WEIGHT || weight > MAX_WEIGHT) {
    throw new ReleaseError(ReleaseErrorCode.InvalidInput, weightRuleMessage(String(weight)));
  }
  const candidate = candidateColour(state);
  if (weight === state.canaryWeight) return unchanged(state, command, `nothing to do: ${candidate} already gets ${weight} %`);
  // Lowering the weight is always safe; raising it needs something new in the candidate.
  if (weight > state.canaryWeight && !hasStagedCandidate(state)) {
    throw new ReleaseError(ReleaseErrorCode.Refused, "nothing staged: run release:stage first");
  }
  return changed(state, { ...state, canaryWeight: weight }, command, context, `canary ${state.canaryWeight} % → ${weight} % on ${candidate} (${versionsText(state, candidate)}); ${state.stableColour} (${versionsText(state, state.stableColour)}) serves the rest`);
}

function planPromote(state: ReleaseState, command: Extract<ReleaseCommand, { kind: "promote" }>, context: PlanContext): ReleasePlan {
  const candidate = candidateColour(state);
  const last = state.history.at(-1);
  if (state.canaryWeight === 0 && last?.command === "promote") {
    return unchanged(state, command, `nothing to do: ${state.stableColour} was already promoted at revision ${last.revision}`);
  }
  if (!hasStagedCandidate(state)) throw new ReleaseError(ReleaseErrorCode.Refused, "nothing staged: run release:stage first");
  if (state.canaryWeight === 0) {
    throw new ReleaseError(ReleaseErrorCode.Refused, `the canary weight is 0: run release:canary N first, or promote is pointless (${candidate} has had no traffic)`);
  }
  return changed(
    state,
    { ...state, stableColour: candidate, canaryWeight: 0 },
    command,
    context,
    `promoted ${candidate} (${versionsText(state, candidate)}) to stable, was at ${state.canaryWeight} %; ${state.stableColour} (${versionsText(state, state.stableColour)}) is now the idle colour at 0 %`,
  );
}

function planRollback(state: ReleaseState, command: Extract<ReleaseCommand, { kind: "rollback" }>, context: PlanContext): ReleasePlan {
  const candidate = candidateColour(state);
  if (state.canaryWeight === 0) return unchanged(state, command, `nothing to do: the canary weight is already 0 (all new visitors on ${state.stableColour})`);
  return changed(state, { ...state, canaryWeight: 0 }, command, context, `rolled back ${candidate} ${state.canaryWeight} % → 0 %; all new visitors on ${state.stableColour} (${versionsText(state, state.stableColour)})`);
}

/** Rows of `release:status`: one per service, in RELEASED_SERVICES order. */
export interface StatusRow {
  readonly service: ReleasedService;
  readonly blue: string | null;
  readonly green: string | null;
  readonly stableColour: Colour;
  readonly canaryWeight: number;
  /** The latest history entry that moved this service's versions, its stable colour or its weight. */
  readonly lastChange: LastChange | null;
}

export type LastChange = Pick<HistoryEntry, "revision" | "at" | "by" | "command" | "summary">;

export interface StateDescription {
  readonly environment: ReleaseState["environment"];
  readonly revision: number;
  readonly stableColour: Colour;
  readonly candidateColour: Colour;
  readonly canaryWeight: number;
  /** Whether `canary` would be accepted (something new sits in the candidate colour). */
  readonly staged: boolean;
  readonly rows: readonly StatusRow[];
  readonly lastChange: LastChange | null;
}

export function describeState(state: ReleaseState): StateDescription {
  const lastChangeOf = (service: ReleasedService): LastChange | null => {
    const entry = state.history.findLast((candidate) => {
      const before = candidate.from.services[service];
      const after = candidate.to.services[service];
      const slotsMoved = before?.blue !== after?.blue || before?.green !== after?.green;
      const trafficMoved = candidate.from.stableColour !== candidate.to.stableColour || candidate.from.canaryWeight !== candidate.to.canaryWeight;
      return slotsMoved || (trafficMoved && after !== undefined);
    });
    return entry ? lastChange(entry) : null;
  };
  const rows = RELEASED_SERVICES.flatMap((service) => {
    const slots = state.services[service];
    if (!slots) return [];
    return [{ service, blue: slots.blue, green: slots.green, stableColour: state.stableColour, canaryWeight: state.canaryWeight, lastChange: lastChangeOf(service) }];
  });
  const last = state.history.at(-1);
  return {
    environment: state.environment,
    revision: state.revision,
    stableColour: state.stableColour,
    candidateColour: candidateColour(state),
    canaryWeight: state.canaryWeight,
    staged: hasStagedCandidate(state),
    rows,
    lastChange: last ? lastChange(last) : null,
  };
}

function lastChange(entry: HistoryEntry): LastChange {
  return { revision: entry.revision, at: entry.at, by: entry.by, command: entry.command, summary: entry.summary };
}

function unchanged(state: ReleaseState, command: ReleaseCommand, summary: string): ReleasePlan {
  return { command, previous: state, next: state, changed: false, summary, changes: [] };
}

const SUMMARY_LIMIT = 500;

function changed(previous: ReleaseState, pointers: ReleaseState, command: ReleaseCommand, context: PlanContext, summary: string): ReleasePlan {
  const revision = previous.revision + 1;
  const line = summary.length > SUMMARY_LIMIT ? `${summary.slice(0, SUMMARY_LIMIT - 1)}…` : summary;
  const entry: HistoryEntry = {
    revision,
    at: context.now.toISOString(),
    by: context.actor,
    command: command.kind,
    summary: line,
    from: pointersOf(previous),
    to: pointersOf(pointers),
  };
  // Parsing here keeps the planner honest: it can never hand the store a state the schema refuses.
  const next = releaseStateSchema.parse({ ...pointers, revision, history: [...previous.history, entry] });
  return { command, previous, next, changed: true, summary: line, changes: pointerChanges(previous, next) };
}

function pointerChanges(before: ReleaseState, after: ReleaseState): PointerChange[] {
  const changes: PointerChange[] = [];
  if (before.stableColour !== after.stableColour) changes.push({ field: "stableColour", before: before.stableColour, after: after.stableColour });
  if (before.canaryWeight !== after.canaryWeight) changes.push({ field: "canaryWeight", before: before.canaryWeight, after: after.canaryWeight });
  for (const service of RELEASED_SERVICES) {
    for (const colour of ["blue", "green"] as const) {
      const from = before.services[service]?.[colour] ?? null;
      const to = after.services[service]?.[colour] ?? null;
      if (from !== to) changes.push({ field: `services.${service}.${colour}`, before: from, after: to });
    }
  }
  return changes;
}

function samePointers(a: ReleaseState, b: ReleaseState): boolean {
  return pointerChanges(a, b).length === 0;
}

function copyServices(state: ReleaseState): Partial<Record<ReleasedService, Slots>> {
  const services: Partial<Record<ReleasedService, Slots>> = {};
  for (const service of RELEASED_SERVICES) {
    const slots = state.services[service];
    if (slots) services[service] = { ...slots };
  }
  return services;
}

function validateActor(actor: string): void {
  if (actor.length < 1 || actor.length > 200) {
    throw new ReleaseError(ReleaseErrorCode.InvalidInput, `the actor recorded in the history must be 1-200 characters, got ${JSON.stringify(actor)}`);
  }
}
