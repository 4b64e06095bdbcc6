import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callError, callOk, startManager, type ManagerHarness } from "../support/manager";

interface Concern {
  concernId: string;
  category: string[];
  description: string;
  severity: number;
  status: string;
  triggers?: string;
  history?: string;
  createdAt: string;
  updatedAt: string;
}
interface ConcernPage {
  concerns: Concern[];
  nextCursor?: string;
}

const UNKNOWN_ID = "01890a5d-ac96-774b-bcce-b302099a8057";
const CREATED = new Date("2026-05-10T08:00:00.000Z");
const UPDATED = new Date("2026-05-11T12:00:00.000Z");

let harness: ManagerHarness;
let alice: Client;
let mallory: Client;

beforeAll(async () => {
  harness = await startManager();
  alice = await harness.clientFor("concerns-alice");
  mallory = await harness.clientFor("concerns-mallory");
});
afterAll(() => harness.close());
afterEach(() => harness.setNow(undefined));

type Case = [Record<string, unknown>, RegExp];

/** [args, message] → [short label, args, message], so test names stay readable with long inputs. */
function labelled([args, message]: Case): [string, Record<string, unknown>, RegExp] {
  const label = JSON.stringify(args, (_key, value: unknown) => (typeof value === "string" && value.length > 20 ? `<${value.length} chars>` : value));
  return [label, args, message];
}

async function allConcerns(client: Client, args: Record<string, unknown> = {}): Promise<Concern[]> {
  const concerns: Concern[] = [];
  let cursor: string | undefined;
  do {
    const page = await callOk<ConcernPage>(client, "GetConcerns", { ...args, ...(cursor ? { cursor } : {}) });
    concerns.push(...page.concerns);
    cursor = page.nextCursor;
  } while (cursor);
  return concerns;
}

describe("concerns", () => {
  let older: Concern;
  let concern: Concern;

  test("AddConcern with category and description defaults to severity 3, ACTIVE", async () => {
    harness.setNow(CREATED);
    older = await callOk<Concern>(alice, "AddConcern", { category: ["MENTAL"], description: "Trouble falling asleep" });
    expect(older).toEqual({
      concernId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/),
      category: ["MENTAL"],
      description: "Trouble falling asleep",
      severity: 3,
      status: "ACTIVE",
      createdAt: CREATED.toISOString(),
      updatedAt: CREATED.toISOString(),
    });
    expect(older).not.toHaveProperty("userId");
  });

  test("AddConcern stores every field sent; GetConcerns lists the newest first", async () => {
    harness.setNow(CREATED);
    concern = await callOk<Concern>(alice, "AddConcern", {
      category: ["PHYSICAL", "MENTAL"],
      description: "Stiff shoulders and stress",
      severity: 4,
      status: "IMPROVED",
      triggers: "Long days at the desk",
      history: "Since 2024; stretching helped a little",
    });
    expect(concern).toMatchObject({
      category: ["PHYSICAL", "MENTAL"],
      description: "Stiff shoulders and stress",
      severity: 4,
      status: "IMPROVED",
      triggers: "Long days at the desk",
      history: "Since 2024; stretching helped a little",
    });
    expect(await allConcerns(alice)).toEqual([concern, older]);
  });

  test("UpdateConcern changes only the fields sent and keeps createdAt", async () => {
    harness.setNow(UPDATED);
    const updated = await callOk<Concern>(alice, "UpdateConcern", { concernId: concern.concernId, status: "RESOLVED", severity: 1 });
    expect(updated).toEqual({ ...concern, status: "RESOLVED", severity: 1, updatedAt: UPDATED.toISOString() });
    const recategorised = await callOk<Concern>(alice, "UpdateConcern", { concernId: concern.concernId, category: ["PHYSICAL"], history: "Yoga twice a week" });
    expect(recategorised).toEqual({ ...updated, category: ["PHYSICAL"], history: "Yoga twice a week" });
    expect(await allConcerns(alice)).toEqual([recategorised, older]);
    concern = recategorised;
  });

  test.each(
    ([
      [{}, /at least one of category, description, severity, status, triggers, history/],
      [{ userId: "concerns-mallory", status: "ACTIVE" }, /unknown argument 'userId'.*signed-in user/],
      [{ category: [] }, /category must name at least one of PHYSICAL, MENTAL/],
      [{ category: ["PHYSICAL", "PHYSICAL"] }, /category must not repeat a value, got \["PHYSICAL","PHYSICAL"\]/],
      [{ category: ["PHYSICAL", "MENTAL", "PHYSICAL"] }, /category may hold at most 2 values/],
      [{ category: ["BODY"] }, /category\.0: category must be one of PHYSICAL, MENTAL, got "BODY"/],
      [{ category: "PHYSICAL" }, /category must be a list of PHYSICAL and\/or MENTAL, got "PHYSICAL"/],
      [{ description: "" }, /description must not be empty or blank: send 1-2000 characters/],
      [{ description: "   " }, /description must not be empty or blank/],
      [{ description: "d".repeat(2001) }, /description is too long: 1-2000 characters allowed, got 2001/],
      [{ severity: 0 }, /severity must be a whole number from 1 to 5, got 0/],
      [{ severity: 6 }, /severity must be a whole number from 1 to 5, got 6/],
      [{ severity: 1.5 }, /severity must be a whole number from 1 to 5, got 1.5/],
      [{ status: "CLOSED" }, /status must be one of ACTIVE, IMPROVED, RESOLVED, got "CLOSED"/],
      [{ status: "active" }, /status must be one of ACTIVE, IMPROVED, RESOLVED, got "active"/],
      [{ triggers: "t".repeat(2001) }, /triggers is too long: at most 2000 characters allowed, got 2001/],
      [{ history: "h".repeat(2001) }, /history is too long: at most 2000 characters allowed, got 2001/],
      [{ history: 42 }, /history must be text \(at most 2000 characters\), got 42/],
    ] as Case[]).map(labelled),
  )("UpdateConcern rejects %s and changes nothing", async (_label, args, message) => {
    const before = await allConcerns(alice);
    expect(await callError(alice, "UpdateConcern", { concernId: concern.concernId, ...args })).toMatch(message);
    expect(await allConcerns(alice)).toEqual(before);
  });

  test.each(
    ([
      [{ description: "No category" }, /category must be a list of PHYSICAL and\/or MENTAL, got nothing/],
      [{ category: ["PHYSICAL"] }, /description must be text \(1-2000 characters\), got nothing/],
      [{ category: [], description: "x" }, /category must name at least one/],
      [{ category: ["MENTAL", "MENTAL"], description: "x" }, /category must not repeat a value/],
      [{ category: ["PHYSICAL"], description: "x", severity: 9 }, /severity must be a whole number from 1 to 5, got 9/],
      [{ category: ["PHYSICAL"], description: "x", status: "OPEN" }, /status must be one of ACTIVE, IMPROVED, RESOLVED/],
      [{ category: ["PHYSICAL"], description: "x", userId: "concerns-mallory" }, /unknown argument 'userId'/],
    ] as Case[]).map(labelled),
  )("AddConcern rejects %s and stores nothing", async (_label, args, message) => {
    const before = await allConcerns(alice);
    expect(await callError(alice, "AddConcern", args)).toMatch(message);
    expect(await allConcerns(alice)).toEqual(before);
  });

  test("UpdateConcern and DeleteConcern of an unknown id are not found and say how to list the ids", async () => {
    const before = await allConcerns(alice);
    const notFound = new RegExp(`Concern '${UNKNOWN_ID}' was not found.*GetConcerns`);
    expect(await callError(alice, "UpdateConcern", { concernId: UNKNOWN_ID, status: "RESOLVED" })).toMatch(notFound);
    expect(await callError(alice, "DeleteConcern", { concernId: UNKNOWN_ID })).toMatch(notFound);
    expect(await callError(alice, "UpdateConcern", { concernId: "concern-1", status: "RESOLVED" })).toMatch(/concernId must be the id returned when it was created \(a UUID\)/);
    expect(await allConcerns(alice)).toEqual(before);
  });

  test("another user who knows the ids can neither read nor change the concerns", async () => {
    const before = await allConcerns(alice);
    expect(await allConcerns(mallory)).toEqual([]);
    expect(await allConcerns(mallory, { status: "ACTIVE" })).toEqual([]);
    expect(await callError(mallory, "UpdateConcern", { concernId: concern.concernId, description: "hacked" })).toMatch(/not found/);
    expect(await callError(mallory, "DeleteConcern", { concernId: older.concernId })).toMatch(/not found/);
    const page = await callOk<ConcernPage>(alice, "GetConcerns", { limit: 1 });
    expect(page.nextCursor).toBeDefined();
    expect(await callError(mallory, "GetConcerns", { cursor: page.nextCursor })).toMatch(/cursor is not valid/);
    expect(await allConcerns(alice)).toEqual(before);
  });

  test("DeleteConcern returns the deleted concern; deleting it again is not found", async () => {
    expect(await callOk<Concern>(alice, "DeleteConcern", { concernId: concern.concernId })).toEqual(concern);
    expect(await allConcerns(alice)).toEqual([older]);
    expect(await callError(alice, "DeleteConcern", { concernId: concern.concernId })).toMatch(/not found.*GetConcerns/);
  });

  test("the tools list declares annotations", async () => {
    const { tools } = await alice.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.get("AddConcern")?.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: false, destructiveHint: false });
    expect(byName.get("UpdateConcern")?.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: true, destructiveHint: false });
    expect(byName.get("DeleteConcern")?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get("GetConcerns")?.annotations).toMatchObject({ readOnlyHint: true });
    expect(byName.get("AddConcern")?.inputSchema.required).toEqual(["category", "description"]);
  });
});

describe("GetConcerns pagination", () => {
  let pager: Client;
  const created: Concern[] = [];
  const categories = [["PHYSICAL"], ["MENTAL"], ["PHYSICAL", "MENTAL"], ["MENTAL", "PHYSICAL"]];
  const statuses = ["ACTIVE", "IMPROVED", "RESOLVED"];

  beforeAll(async () => {
    pager = await harness.clientFor("concerns-pager");
    for (let index = 0; index < 24; index++) {
      created.push(
        await callOk<Concern>(pager, "AddConcern", {
          category: categories[index % categories.length],
          description: `Concern ${index}`,
          status: statuses[index % statuses.length],
        }),
      );
    }
  });

  test("walking small pages sees every concern once, newest first", async () => {
    const newestFirst = [...created].reverse();
    const pages: ConcernPage[] = [];
    let cursor: string | undefined;
    do {
      const page = await callOk<ConcernPage>(pager, "GetConcerns", { limit: 5, ...(cursor ? { cursor } : {}) });
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.map((page) => page.concerns.length)).toEqual([5, 5, 5, 5, 4]);
    expect(pages.flatMap((page) => page.concerns)).toEqual(newestFirst);
    expect((await callOk<ConcernPage>(pager, "GetConcerns")).concerns).toEqual(newestFirst.slice(0, 20));
  });

  test.each([
    [{ status: "RESOLVED" }, (concern: Concern) => concern.status === "RESOLVED"],
    [{ category: "PHYSICAL" }, (concern: Concern) => concern.category.includes("PHYSICAL")],
    [{ category: "MENTAL" }, (concern: Concern) => concern.category.includes("MENTAL")],
    [{ status: "ACTIVE", category: "MENTAL" }, (concern: Concern) => concern.status === "ACTIVE" && concern.category.includes("MENTAL")],
  ])("filter %j pages through exactly the matching concerns, newest first", async (filter, matches) => {
    const expected = [...created].reverse().filter(matches);
    expect(expected.length).toBeGreaterThan(2);
    const seen: Concern[] = [];
    let cursor: string | undefined;
    do {
      const page = await callOk<ConcernPage>(pager, "GetConcerns", { ...filter, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.concerns.length).toBeLessThanOrEqual(2);
      seen.push(...page.concerns);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expected);
  });

  test.each([
    [{ limit: 101 }, /limit/],
    [{ cursor: "eyJ1c2VySWQiOiJzb21lb25lIn0" }, /cursor is not valid/],
    [{ status: "OPEN" }, /status must be one of ACTIVE, IMPROVED, RESOLVED/],
    [{ category: ["PHYSICAL"] }, /category must be one of PHYSICAL, MENTAL/],
  ])("GetConcerns rejects %j", async (args, message) => {
    expect(await callError(pager, "GetConcerns", args)).toMatch(message);
  });
});
