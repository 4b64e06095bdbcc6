import fc from "fast-check";
import { ReleaseError, ReleaseErrorCode } from "../../release/errors";
import { describeState, hasStagedCandidate, plan, type ReleaseCommand, type ReleasePlan } from "../../release/plan";
import { initialState, releaseStateSchema, RELEASED_SERVICES, type ReleasedService, type ReleaseState } from "../../release/state";

/** The planner: every command from every kind of state, legal and illegal (pure, no I/O). */
const NOW = new Date("2026-12-04T10:00:00.000Z");
const context = { now: NOW, actor: "alice@laptop" };

function run(state: ReleaseState, command: ReleaseCommand): ReleasePlan {
  return plan(deepFreeze(structuredClone(state)), command, context);
}

/** Applies commands in order, as the CLI would (each plan's next state feeds the next command). */
function after(...commands: ReleaseCommand[]): ReleaseState {
  return commands.reduce((state, command) => run(state, command).next, initialState("local"));
}

function refusal(state: ReleaseState, command: ReleaseCommand): ReleaseError {
  try {
    run(state, command);
  } catch (error) {
    if (error instanceof ReleaseError) return error;
    throw error;
  }
  throw new Error(`expected ${command.kind} to be refused`);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

const stage = (versions: Partial<Record<ReleasedService, string>>): ReleaseCommand => ({ kind: "stage", versions });
const canary = (weight: number): ReleaseCommand => ({ kind: "canary", weight });
const promote: ReleaseCommand = { kind: "promote" };
const rollback: ReleaseCommand = { kind: "rollback" };

// The kinds of state a command can meet. A service's first version goes into the stable colour
// (blue on a fresh state); the second `stage` puts version 2 in the candidate (green).
const fresh = initialState("local");
/** Only a first stage: version 1 stable in blue, nothing in the candidate. */
const firstStaged = after(stage({ manager: "1", ui: "1" }));
const staged = after(stage({ manager: "1", ui: "1" }), stage({ manager: "2", ui: "2" }));
const canaryRunning = after(stage({ manager: "1", ui: "1" }), stage({ manager: "2", ui: "2" }), canary(10));
/** Version 2 promoted: stable green holds 2, the candidate (blue) holds the previous version 1. */
const promoted = after(stage({ manager: "1", ui: "1" }), stage({ manager: "2", ui: "2" }), canary(10), promote);
const restaged = after(stage({ manager: "1", ui: "1" }), stage({ manager: "2", ui: "2" }), canary(10), promote, stage({ manager: "3" }));
const rolledBack = after(stage({ manager: "1" }), stage({ manager: "2" }), canary(50), rollback);
/** Third release promoted: the candidate (green) holds the previous version 2, stable blue holds 3. */
const promotedTwice = after(stage({ manager: "1" }), stage({ manager: "2" }), canary(10), promote, stage({ manager: "3" }), canary(10), promote);

describe("stage", () => {
  test("a service's first version fills the stable colour at weight 0, with one history entry", () => {
    const result = run(fresh, stage({ manager: "1", ui: "1" }));
    expect(result.changed).toBe(true);
    expect(result.next).toMatchObject({ revision: 1, stableColour: "blue", canaryWeight: 0, services: { manager: { blue: "1", green: null }, ui: { blue: "1", green: null } } });
    expect(result.next.history).toEqual([
      {
        revision: 1,
        at: "2026-12-04T10:00:00.000Z",
        by: "alice@laptop",
        command: "stage",
        summary: result.summary,
        from: { stableColour: "blue", canaryWeight: 0, services: {} },
        to: { stableColour: "blue", canaryWeight: 0, services: { manager: { blue: "1", green: null }, ui: { blue: "1", green: null } } },
      },
    ]);
    expect(result.summary).toBe("staged manager 1 in blue (first release, stable), ui 1 in blue (first release, stable) at weight 0; blue stays stable");
    expect(result.changes).toEqual([
      { field: "services.manager.blue", before: null, after: "1" },
      { field: "services.ui.blue", before: null, after: "1" },
    ]);
    expect(hasStagedCandidate(result.next)).toBe(false);
  });

  test("the second version goes into the candidate colour at weight 0, with one more history entry", () => {
    const result = run(firstStaged, stage({ manager: "2", ui: "2" }));
    expect(result.changed).toBe(true);
    expect(result.next).toMatchObject({ revision: 2, stableColour: "blue", canaryWeight: 0, services: { manager: { blue: "1", green: "2" }, ui: { blue: "1", green: "2" } } });
    expect(result.next.history).toHaveLength(2);
    expect(result.next.history[1]).toEqual({
      revision: 2,
      at: "2026-12-04T10:00:00.000Z",
      by: "alice@laptop",
      command: "stage",
      summary: result.summary,
      from: { stableColour: "blue", canaryWeight: 0, services: { manager: { blue: "1", green: null }, ui: { blue: "1", green: null } } },
      to: { stableColour: "blue", canaryWeight: 0, services: { manager: { blue: "1", green: "2" }, ui: { blue: "1", green: "2" } } },
    });
    expect(result.summary).toBe("staged manager 2 in green, ui 2 in green at weight 0; blue stays stable");
    expect(result.changes).toEqual([
      { field: "services.manager.green", before: null, after: "2" },
      { field: "services.ui.green", before: null, after: "2" },
    ]);
    expect(hasStagedCandidate(result.next)).toBe(true);
  });

  test("one service with a stable version and one without: each goes into its own colour", () => {
    const result = run(after(stage({ manager: "1" })), stage({ manager: "2", ui: "1" }));
    expect(result.next.services).toEqual({ manager: { blue: "1", green: "2" }, ui: { blue: "1", green: null } });
    expect(result.summary).toBe("staged manager 2 in green, ui 1 in blue (first release, stable) at weight 0; blue stays stable");
    expect(hasStagedCandidate(result.next)).toBe(true);

    // After a promote the stable colour is green: a new service's first version goes there.
    const mixed = run(promoted, stage({ manager: "3", coach: "1" }));
    expect(mixed.next.services).toEqual({ manager: { blue: "3", green: "2" }, coach: { blue: null, green: "1" }, ui: { blue: "1", green: "2" } });
    expect(mixed.summary).toBe("staged manager 3 in blue, coach 1 in green (first release, stable) at weight 0; green stays stable");
  });

  test("after a promote, stages into the old stable colour (the new candidate) and leaves other services alone", () => {
    const result = run(promoted, stage({ manager: "3" }));
    expect(result.next.services).toEqual({ manager: { blue: "3", green: "2" }, ui: { blue: "1", green: "2" } });
    expect(result.next.stableColour).toBe("green");
  });

  test("replaces a staged version while the weight is 0", () => {
    const result = run(staged, stage({ manager: "3" }));
    expect(result.next.services.manager).toEqual({ blue: "1", green: "3" });
  });

  test("re-running with the same versions is a no-op: same state, no revision, no history", () => {
    const result = run(staged, stage({ manager: "2", ui: "2" }));
    expect(result.changed).toBe(false);
    expect(result.next).toBe(result.previous);
    expect(result.summary).toBe("nothing to do: already staged (manager 2 in green, ui 2 in green)");
  });

  test.each([
    ["a canary is running", canaryRunning, "a canary is running at 10 % on green: run release:promote or release:rollback first"],
    ["a canary is running at 100 %", after(stage({ manager: "1" }), stage({ manager: "2" }), canary(100)), "a canary is running at 100 % on green: run release:promote or release:rollback first"],
  ])("refused while %s", (_name, state, message) => {
    const error = refusal(state, stage({ manager: "3" }));
    expect(error.code).toBe(ReleaseErrorCode.Refused);
    expect(error.message).toBe(message);
  });

  test.each([
    [{}, "stage needs a version for at least one of manager, coach, ui, got none"],
    [{ manager: undefined }, "stage needs a version for at least one of manager, coach, ui, got none"],
    [{ gateway: "1" }, "stage: unknown service 'gateway'; services are manager, coach, ui"],
    [{ manager: "../1" }, "stage: '../1' is not a version of manager"],
    [{ manager: "" }, "stage: '' is not a version of manager"],
  ])("bad versions %j are invalid input", (versions, message) => {
    const error = refusal(fresh, stage(versions as Partial<Record<ReleasedService, string>>));
    expect(error.code).toBe(ReleaseErrorCode.InvalidInput);
    expect(error.message).toContain(message);
  });
});

describe("canary", () => {
  test.each([0, 1, 10, 99, 100])("sets weight %i on the candidate from a staged state", (weight) => {
    const result = run(staged, canary(weight));
    if (weight === 0) {
      expect(result.changed).toBe(false);
      return;
    }
    expect(result.next).toMatchObject({ canaryWeight: weight, stableColour: "blue", revision: staged.revision + 1 });
    expect(result.changes).toEqual([{ field: "canaryWeight", before: 0, after: weight }]);
    expect(result.summary).toBe(`canary 0 % → ${weight} % on green (manager 2, ui 2); blue (manager 1, ui 1) serves the rest`);
  });

  test("moves a running canary up and down", () => {
    expect(run(canaryRunning, canary(50)).next.canaryWeight).toBe(50);
    expect(run(canaryRunning, canary(1)).next.canaryWeight).toBe(1);
    expect(run(canaryRunning, canary(0)).next.canaryWeight).toBe(0);
  });

  test("the same weight again is a no-op", () => {
    const result = run(canaryRunning, canary(10));
    expect(result).toMatchObject({ changed: false, summary: "nothing to do: green already gets 10 %" });
    expect(result.next).toBe(result.previous);
  });

  test.each([
    ["a fresh state", fresh],
    ["a first stage (it went into the stable colour; the candidate is empty)", firstStaged],
    ["a state just promoted (the candidate holds the previous version)", promoted],
    ["a state promoted twice (the candidate holds the previous version)", promotedTwice],
    ["a candidate equal to stable for every service", after(stage({ manager: "1" }), stage({ manager: "2" }), canary(10), promote, stage({ manager: "2" }))],
  ])("refused from %s: nothing staged", (_name, state) => {
    const error = refusal(state, canary(10));
    expect(error.code).toBe(ReleaseErrorCode.Refused);
    expect(error.message).toBe("nothing staged: run release:stage first");
  });

  test("right after a first stage: refused, and allowed once a second stage fills the candidate", () => {
    const error = refusal(firstStaged, canary(10));
    expect(error.code).toBe(ReleaseErrorCode.Refused);
    expect(error.message).toBe("nothing staged: run release:stage first");
    expect(run(after(stage({ manager: "1", ui: "1" }), stage({ manager: "2", ui: "2" })), canary(10)).next.canaryWeight).toBe(10);
  });

  // A stage that only fills stable slots (a service's first version, added after a promote) must
  // not make the previous release the promote left in the candidate canary-able.
  test("refused after a promote when the only stage since put a new service's first version into the stable colour", () => {
    const state = after(stage({ manager: "1" }), stage({ manager: "2" }), canary(10), promote, stage({ ui: "1" }));
    expect(state.services).toEqual({ manager: { blue: "1", green: "2" }, ui: { blue: null, green: "1" } });
    expect(refusal(state, canary(10)).message).toBe("nothing staged: run release:stage first");
  });

  test.each([150, 101, -5, -1, 10.5, 0.1, Number.NaN, Number.POSITIVE_INFINITY])("weight %d is invalid input naming the value", (weight) => {
    const error = refusal(staged, canary(weight));
    expect(error.code).toBe(ReleaseErrorCode.InvalidInput);
    expect(error.message).toBe(`weight must be a whole number from 0 to 100; fractions are not allowed, got ${weight}`);
  });
});

describe("stage of a version that is already stable", () => {
  test("is a no-op: the first stage run twice changes nothing the second time", () => {
    const once = after(stage({ manager: "1", ui: "1" }));
    const again = run(once, stage({ manager: "1", ui: "1" }));
    expect(again.changed).toBe(false);
    expect(again.next).toEqual(once);
  });
});

describe("promote", () => {
  test("the candidate becomes stable at weight 0; slots stay", () => {
    const result = run(canaryRunning, promote);
    expect(result.next).toMatchObject({ stableColour: "green", canaryWeight: 0, services: canaryRunning.services, revision: canaryRunning.revision + 1 });
    expect(result.changes).toEqual([
      { field: "stableColour", before: "blue", after: "green" },
      { field: "canaryWeight", before: 10, after: 0 },
    ]);
    expect(result.summary).toBe("promoted green (manager 2, ui 2) to stable, was at 10 %; blue (manager 1, ui 1) is now the idle colour at 0 %");
  });

  test("re-running right after a promote is a no-op", () => {
    const result = run(promoted, promote);
    expect(result).toMatchObject({ changed: false, summary: `nothing to do: green was already promoted at revision ${promoted.revision}` });
  });

  test("refused at weight 0 with something staged", () => {
    for (const state of [staged, rolledBack, restaged]) {
      const error = refusal(state, promote);
      expect(error.code).toBe(ReleaseErrorCode.Refused);
      expect(error.message).toMatch(/^the canary weight is 0: run release:canary N first, or promote is pointless/);
    }
  });

  test("refused with nothing staged (fresh, or only a first stage)", () => {
    for (const state of [fresh, firstStaged]) {
      const error = refusal(state, promote);
      expect(error.code).toBe(ReleaseErrorCode.Refused);
      expect(error.message).toBe("nothing staged: run release:stage first");
    }
  });
});

describe("rollback", () => {
  test("weight 0 at once, stable unchanged", () => {
    const result = run(canaryRunning, rollback);
    expect(result.next).toMatchObject({ canaryWeight: 0, stableColour: "blue", services: canaryRunning.services });
    expect(result.summary).toBe("rolled back green 10 % → 0 %; all new visitors on blue (manager 1, ui 1)");
  });

  test.each([
    ["fresh", fresh],
    ["first stage", firstStaged],
    ["staged", staged],
    ["promoted", promoted],
    ["rolled back", rolledBack],
  ])("always allowed and a no-op at weight 0 (%s)", (_name, state) => {
    const result = run(state, rollback);
    expect(result.changed).toBe(false);
    expect(result.next).toBe(result.previous);
  });

  test("a rolled-back candidate stays staged: canary again without re-staging", () => {
    expect(hasStagedCandidate(rolledBack)).toBe(true);
    expect(run(rolledBack, canary(5)).next.canaryWeight).toBe(5);
  });
});

test("the planner never mutates its input (frozen) and rejects a blank actor", () => {
  expect(() => run(canaryRunning, promote)).not.toThrow();
  expect(() => plan(canaryRunning, rollback, { now: NOW, actor: "" })).toThrow(ReleaseError);
});

describe("describeState (release:status)", () => {
  test("one row per service with both slots, stable colour, weight and the change that last moved it", () => {
    const state = after(stage({ manager: "1", ui: "1" }), stage({ manager: "2", ui: "2" }), canary(10), promote, stage({ manager: "3" }), canary(20));
    const description = describeState(state);
    expect(description).toMatchObject({ environment: "local", revision: 6, stableColour: "green", candidateColour: "blue", canaryWeight: 20, staged: true });
    expect(description.rows).toEqual([
      { service: "manager", blue: "3", green: "2", stableColour: "green", canaryWeight: 20, lastChange: expect.objectContaining({ revision: 6, command: "canary" }) },
      { service: "ui", blue: "1", green: "2", stableColour: "green", canaryWeight: 20, lastChange: expect.objectContaining({ revision: 6, command: "canary" }) },
    ]);
    expect(describeState(after(stage({ manager: "1", ui: "1" }), stage({ manager: "2" }))).rows.map((row) => row.lastChange?.revision)).toEqual([2, 1]);
  });

  test("a fresh state has no rows and no last change", () => {
    expect(describeState(fresh)).toMatchObject({ rows: [], lastChange: null, staged: false, revision: 0 });
  });

  test("after only a first stage: rows for the stable versions, nothing staged", () => {
    expect(describeState(firstStaged)).toMatchObject({
      revision: 1,
      stableColour: "blue",
      candidateColour: "green",
      staged: false,
      rows: [
        { service: "manager", blue: "1", green: null },
        { service: "ui", blue: "1", green: null },
      ],
    });
  });
});

/**
 * Model-based: random command sequences against a small independent model of the rules. Every
 * step agrees with the model on accept / refuse / no-op and on the pointers; every state is
 * schema-valid; revision = history length; a no-op returns the very same state.
 */
describe("model-based", () => {
  interface Model {
    stable: "blue" | "green";
    weight: number;
    slots: Partial<Record<ReleasedService, { blue: string | null; green: string | null }>>;
    /** A stage wrote a candidate slot since the last promote. */
    candidateStaged?: boolean;
    lastCommand?: string;
  }
  const other = (colour: "blue" | "green") => (colour === "blue" ? "green" : "blue");
  const modelStaged = (model: Model) => {
    const candidate = other(model.stable);
    const differs = RELEASED_SERVICES.some((service) => {
      const slots = model.slots[service];
      return slots !== undefined && slots[candidate] !== null && slots[candidate] !== slots[model.stable];
    });
    return differs && model.candidateStaged === true;
  };

  type Outcome = "changed" | "noop" | "refused" | "invalid";
  function expected(model: Model, command: ReleaseCommand): { outcome: Outcome; next?: Model } {
    const candidate = other(model.stable);
    switch (command.kind) {
      case "stage": {
        if (model.weight > 0) return { outcome: "refused" };
        const slots = structuredClone(model.slots);
        let wroteCandidate = false;
        for (const [service, version] of Object.entries(command.versions) as [ReleasedService, string][]) {
          const current = slots[service] ?? { blue: null, green: null };
          if (current[model.stable] === version) continue; // already stable
          // A service with no stable version yet gets it in the stable colour; otherwise the candidate.
          const colour = current[model.stable] === null ? model.stable : candidate;
          if (colour === candidate && current[candidate] !== version) wroteCandidate = true;
          slots[service] = { ...current, [colour]: version };
        }
        if (JSON.stringify(slots) === JSON.stringify(model.slots)) return { outcome: "noop" };
        return { outcome: "changed", next: { ...model, slots, candidateStaged: model.candidateStaged || wroteCandidate, lastCommand: "stage" } };
      }
      case "canary": {
        const weight = command.weight;
        if (!Number.isInteger(weight) || weight < 0 || weight > 100) return { outcome: "invalid" };
        if (weight === model.weight) return { outcome: "noop" };
        if (weight > model.weight && !modelStaged(model)) return { outcome: "refused" };
        return { outcome: "changed", next: { ...model, weight, lastCommand: "canary" } };
      }
      case "promote":
        if (model.weight === 0 && model.lastCommand === "promote") return { outcome: "noop" };
        if (!modelStaged(model) || model.weight === 0) return { outcome: "refused" };
        return { outcome: "changed", next: { ...model, stable: candidate, weight: 0, candidateStaged: false, lastCommand: "promote" } };
      case "rollback":
        if (model.weight === 0) return { outcome: "noop" };
        return { outcome: "changed", next: { ...model, weight: 0, lastCommand: "rollback" } };
    }
  }

  const version = fc.constantFrom("1", "2", "3");
  // Weighted towards the commands that make progress, so deep histories (two promotes and more) are common.
  const command: fc.Arbitrary<ReleaseCommand> = fc.oneof(
    { arbitrary: fc.record({ manager: version, ui: version }, { requiredKeys: [] }).filter((versions) => Object.keys(versions).length > 0).map((versions) => stage(versions)), weight: 3 },
    { arbitrary: fc.oneof({ arbitrary: fc.constantFrom(1, 10, 50, 99, 100), weight: 4 }, fc.constantFrom(0, -1, 101, 10.5)).map(canary), weight: 4 },
    { arbitrary: fc.constant(promote), weight: 3 },
    { arbitrary: fc.constant(rollback), weight: 1 },
  );

  test("every step matches the model and keeps the invariants", () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 5, maxLength: 40, size: "max" }), (commands) => {
        let state = initialState("stage");
        let model: Model = { stable: "blue", weight: 0, slots: {} };
        for (const next of commands) {
          const want = expected(model, next);
          let got: Outcome;
          let result: ReleasePlan | undefined;
          try {
            result = plan(state, next, context);
            got = result.changed ? "changed" : "noop";
          } catch (error) {
            if (!(error instanceof ReleaseError)) throw error;
            got = error.code === ReleaseErrorCode.InvalidInput ? "invalid" : "refused";
            expect(error.code === ReleaseErrorCode.InvalidInput || error.code === ReleaseErrorCode.Refused).toBe(true);
          }
          expect({ command: next, outcome: got }).toEqual({ command: next, outcome: want.outcome });
          if (result) {
            if (!result.changed) expect(result.next).toBe(state);
            state = result.next;
          }
          if (want.next) model = want.next;
          expect(releaseStateSchema.safeParse(state).success).toBe(true);
          expect(state.history).toHaveLength(state.revision);
          expect({ stable: state.stableColour, weight: state.canaryWeight, slots: state.services }).toEqual({ stable: model.stable, weight: model.weight, slots: model.slots });
        }
      }),
      { numRuns: 150 },
    );
  });
});
