import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callError, callOk, startManager, type ManagerHarness } from "../support/manager";

interface Goal {
  goalId: string;
  goalType: string;
  title: string;
  description?: string;
  targetValue?: string;
  targetDate?: string;
  priority: number;
  status: string;
  createdAt: string;
  updatedAt: string;
}
interface GoalPage {
  goals: Goal[];
  nextCursor?: string;
}

const UNKNOWN_ID = "01890a5d-ac96-774b-bcce-b302099a8057";
const CREATED = new Date("2026-03-01T09:00:00.000Z");
const UPDATED = new Date("2026-03-02T10:30:00.000Z");

let harness: ManagerHarness;
let alice: Client;
let mallory: Client;

beforeAll(async () => {
  harness = await startManager();
  alice = await harness.clientFor("goals-alice");
  mallory = await harness.clientFor("goals-mallory");
});
afterAll(() => harness.close());
afterEach(() => harness.setNow(undefined));

/** [args, message] → [short label, args, message], so test names stay readable with long inputs. */
function labelled([args, message]: [Record<string, unknown>, RegExp]): [string, Record<string, unknown>, RegExp] {
  const label = JSON.stringify(args, (_key, value: unknown) => (typeof value === "string" && value.length > 20 ? `<${value.length} chars>` : value));
  return [label, args, message];
}

async function allGoals(client: Client, args: Record<string, unknown> = {}): Promise<Goal[]> {
  const goals: Goal[] = [];
  let cursor: string | undefined;
  do {
    const page = await callOk<GoalPage>(client, "GetGoals", { ...args, ...(cursor ? { cursor } : {}) });
    goals.push(...page.goals);
    cursor = page.nextCursor;
  } while (cursor);
  return goals;
}

describe("goals", () => {
  let goal: Goal;

  test("AddGoal creates an active goal with defaults and no user id", async () => {
    harness.setNow(CREATED);
    goal = await callOk<Goal>(alice, "AddGoal", { goalType: "weight", title: "Reach 60 kg" });
    expect(goal).toEqual({
      goalId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/),
      goalType: "weight",
      title: "Reach 60 kg",
      priority: 3,
      status: "active",
      createdAt: CREATED.toISOString(),
      updatedAt: CREATED.toISOString(),
    });
    expect(goal).not.toHaveProperty("userId");
  });

  test("AddGoal stores every field sent", async () => {
    const full = await callOk<Goal>(alice, "AddGoal", {
      goalType: "fitness",
      title: "  Run a half marathon  ",
      description: "Train three times a week",
      targetValue: "21.1km",
      targetDate: "2026-10-18",
      priority: 5,
    });
    expect(full).toMatchObject({
      goalType: "fitness",
      title: "Run a half marathon",
      description: "Train three times a week",
      targetValue: "21.1km",
      targetDate: "2026-10-18",
      priority: 5,
      status: "active",
    });
    expect((await allGoals(alice)).map((each) => each.goalId)).toEqual([goal.goalId, full.goalId]);
  });

  test("UpdateGoal changes only the fields sent and keeps createdAt", async () => {
    harness.setNow(UPDATED);
    const updated = await callOk<Goal>(alice, "UpdateGoal", { goalId: goal.goalId, status: "paused", targetDate: "2026-12-31" });
    expect(updated).toEqual({ ...goal, status: "paused", targetDate: "2026-12-31", updatedAt: UPDATED.toISOString() });
    const second = await callOk<Goal>(alice, "UpdateGoal", { goalId: goal.goalId, priority: 1, description: "Slowly" });
    expect(second).toEqual({ ...updated, priority: 1, description: "Slowly" });
    expect((await allGoals(alice)).find((each) => each.goalId === goal.goalId)).toEqual(second);
    goal = second;
  });

  test.each(([
    [{}, /at least one of title, description/],
    [{ goalType: "fitness" }, /unknown argument 'goalType'/],
    [{ userId: "goals-mallory", title: "x" }, /unknown argument 'userId'.*signed-in user/],
    [{ priority: 0 }, /priority must be a whole number from 1 to 5, got 0/],
    [{ priority: 6 }, /priority must be a whole number from 1 to 5, got 6/],
    [{ priority: 2.5 }, /priority must be a whole number from 1 to 5, got 2.5/],
    [{ priority: "3" }, /priority must be a whole number from 1 to 5, got "3"/],
    [{ status: "done" }, /status must be one of active, achieved, paused, cancelled, got "done"/],
    [{ targetDate: "2026-02-30" }, /targetDate: expected a date as YYYY-MM-DD, got "2026-02-30"/],
    [{ targetDate: "31/12/2026" }, /targetDate: expected a date as YYYY-MM-DD/],
    [{ title: "" }, /title must not be empty or blank: send 1-200 characters/],
    [{ title: "   " }, /title must not be empty or blank/],
    [{ title: "t".repeat(201) }, /title is too long: 1-200 characters allowed, got 201/],
    [{ description: "d".repeat(2001) }, /description is too long: at most 2000 characters allowed, got 2001/],
    [{ targetValue: "v".repeat(101) }, /targetValue is too long: at most 100 characters allowed, got 101/],
    [{ status: "achieved", priority: 9 }, /priority/],
  ] as [Record<string, unknown>, RegExp][]).map(labelled))("UpdateGoal rejects %s and changes nothing", async (_label, args, message) => {
    const before = await allGoals(alice);
    expect(await callError(alice, "UpdateGoal", { goalId: goal.goalId, ...args })).toMatch(message);
    expect(await allGoals(alice)).toEqual(before);
  });

  test("UpdateGoal and DeleteGoal need a goalId that is a UUID", async () => {
    expect(await callError(alice, "UpdateGoal", { goalId: "goal-1", title: "x" })).toMatch(/goalId must be the id returned when it was created \(a UUID\), got "goal-1"/);
    expect(await callError(alice, "DeleteGoal", {})).toMatch(/goalId/);
  });

  test.each(([
    [{ title: "No type" }, /goalType is required: one of longevity, fitness, weight, mental_health, other/],
    [{ goalType: "wealth", title: "Rich" }, /goalType must be one of longevity, fitness, weight, mental_health, other, got "wealth"/],
    [{ goalType: "fitness" }, /title must be text \(1-200 characters\), got nothing/],
    [{ goalType: "fitness", title: " " }, /title must not be empty/],
    [{ goalType: "fitness", title: "x", priority: 10 }, /priority must be a whole number from 1 to 5, got 10/],
    [{ goalType: "fitness", title: "x", targetDate: "2026-13-01" }, /targetDate: expected a date as YYYY-MM-DD/],
    [{ goalType: "fitness", title: "x", status: "achieved" }, /unknown argument 'status'/],
    [{ goalType: "fitness", title: "x", userId: "goals-mallory" }, /unknown argument 'userId'/],
  ] as [Record<string, unknown>, RegExp][]).map(labelled))("AddGoal rejects %s and stores nothing", async (_label, args, message) => {
    const before = await allGoals(alice);
    expect(await callError(alice, "AddGoal", args)).toMatch(message);
    expect(await allGoals(alice)).toEqual(before);
  });

  test("UpdateGoal and DeleteGoal of an unknown id are not found and say how to list the ids", async () => {
    const before = await allGoals(alice);
    expect(await callError(alice, "UpdateGoal", { goalId: UNKNOWN_ID, title: "x" })).toMatch(new RegExp(`Goal '${UNKNOWN_ID}' was not found.*GetGoals`));
    expect(await callError(alice, "DeleteGoal", { goalId: UNKNOWN_ID })).toMatch(new RegExp(`Goal '${UNKNOWN_ID}' was not found.*GetGoals`));
    expect(await allGoals(alice)).toEqual(before);
  });

  test("another user who knows the ids can neither read nor change the goals", async () => {
    const before = await allGoals(alice);
    expect(await allGoals(mallory)).toEqual([]);
    expect(await callError(mallory, "UpdateGoal", { goalId: goal.goalId, status: "cancelled" })).toMatch(/not found/);
    expect(await callError(mallory, "DeleteGoal", { goalId: goal.goalId })).toMatch(/not found/);
    const page = await callOk<GoalPage>(alice, "GetGoals", { limit: 1 });
    expect(page.nextCursor).toBeDefined();
    expect(await callError(mallory, "GetGoals", { cursor: page.nextCursor })).toMatch(/cursor is not valid/);
    expect(await allGoals(alice)).toEqual(before);
  });

  test("DeleteGoal returns the deleted goal; deleting it again is not found", async () => {
    const deleted = await callOk<Goal>(alice, "DeleteGoal", { goalId: goal.goalId });
    expect(deleted).toEqual(goal);
    expect((await allGoals(alice)).map((each) => each.goalId)).not.toContain(goal.goalId);
    expect(await callError(alice, "DeleteGoal", { goalId: goal.goalId })).toMatch(/not found.*GetGoals/);
  });

  test("the tools list declares annotations and never a userId argument", async () => {
    const { tools } = await alice.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.get("AddGoal")?.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: false, destructiveHint: false });
    expect(byName.get("UpdateGoal")?.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: true, destructiveHint: false });
    expect(byName.get("DeleteGoal")?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get("GetGoals")?.annotations).toMatchObject({ readOnlyHint: true });
    for (const name of ["AddGoal", "UpdateGoal", "DeleteGoal", "GetGoals"]) {
      expect(Object.keys(byName.get(name)?.inputSchema.properties ?? {})).not.toContain("userId");
    }
  });
});

describe("GetGoals pagination", () => {
  let pager: Client;
  const created: Goal[] = [];
  const types = ["longevity", "fitness", "weight", "mental_health", "other"];
  const statuses = ["active", "achieved", "paused"];

  beforeAll(async () => {
    pager = await harness.clientFor("goals-pager");
    for (let index = 0; index < 25; index++) {
      const added = await callOk<Goal>(pager, "AddGoal", { goalType: types[index % types.length], title: `Goal ${index}`, priority: (index % 5) + 1 });
      const status = statuses[index % statuses.length] as string;
      created.push(status === "active" ? added : await callOk<Goal>(pager, "UpdateGoal", { goalId: added.goalId, status }));
    }
  });

  test("the default page holds 20 goals and a cursor to the rest", async () => {
    const first = await callOk<GoalPage>(pager, "GetGoals");
    expect(first.goals).toEqual(created.slice(0, 20));
    const second = await callOk<GoalPage>(pager, "GetGoals", { cursor: first.nextCursor });
    expect(second.goals).toEqual(created.slice(20));
    expect(second.nextCursor).toBeUndefined();
  });

  test("walking small pages sees every goal once, oldest first", async () => {
    const pages: GoalPage[] = [];
    let cursor: string | undefined;
    do {
      const page = await callOk<GoalPage>(pager, "GetGoals", { limit: 7, ...(cursor ? { cursor } : {}) });
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.map((page) => page.goals.length)).toEqual([7, 7, 7, 4]);
    expect(pages.flatMap((page) => page.goals)).toEqual(created);
  });

  test.each([
    [{ status: "achieved" }, (goal: Goal) => goal.status === "achieved"],
    [{ goalType: "weight" }, (goal: Goal) => goal.goalType === "weight"],
    [{ status: "active", goalType: "longevity" }, (goal: Goal) => goal.status === "active" && goal.goalType === "longevity"],
  ])("filter %j pages through exactly the matching goals", async (filter, matches) => {
    const expected = created.filter(matches);
    expect(expected.length).toBeGreaterThan(1);
    const seen: Goal[] = [];
    let cursor: string | undefined;
    do {
      const page = await callOk<GoalPage>(pager, "GetGoals", { ...filter, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.goals.length).toBeLessThanOrEqual(2);
      seen.push(...page.goals);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expected);
  });

  test.each([
    [{ limit: 0 }, /limit/],
    [{ limit: 101 }, /limit/],
    [{ cursor: "not-a-cursor" }, /cursor is not valid/],
    [{ status: "finished" }, /status must be one of active, achieved, paused, cancelled/],
    [{ goalType: "wealth" }, /goalType must be one of/],
  ])("GetGoals rejects %j", async (args, message) => {
    expect(await callError(pager, "GetGoals", args)).toMatch(message);
  });
});
