import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callError, callOk, startManager, type ManagerHarness } from "../support/manager";
import { expectToolsListed } from "../support/schema";

interface Activity {
  activityId: string;
  time: string;
  activityType: string;
  description: string;
  items: string[];
}
interface Day {
  date: string;
  activities: Activity[];
  count: number;
}
interface AddResult {
  date: string;
  addedCount: number;
  addedActivityIds: string[];
  addedActivities: Activity[];
  count: number;
}
interface ReplaceResult {
  date: string;
  updatedCount: number;
  activityIds: string[];
  activities: Activity[];
}
interface RangeResult {
  startDate: string;
  endDate: string;
  dateRangeDays: number;
  dailyActivities: Day[];
  nextCursor?: string;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let harness: ManagerHarness;
let alice: Client;
let other: Client;

beforeAll(async () => {
  harness = await startManager();
  [alice, other] = await Promise.all([harness.clientFor("alice-activities"), harness.clientFor("other-sub")]);
});
afterAll(() => harness.close());

const getDay = (client: Client, date: string) => callOk<Day>(client, "GetActivities", { date });
const add = (client: Client, date: string, activities: Record<string, unknown>[]) => callOk<AddResult>(client, "AddActivities", { date, activities });
const activity = (time: string, description: string, extra: Record<string, unknown> = {}) => ({ time, activityType: "other", description, ...extra });

/** No output may carry the user id (neither the attribute nor the token's sub). */
function expectNoUserId(value: unknown): void {
  const text = JSON.stringify(value);
  expect(text).not.toMatch(/userId/);
  expect(text).not.toMatch(/alice-activities|other-sub/);
}

describe("AddActivities / GetActivities", () => {
  test("adds activities with server-assigned ids; the day is returned sorted by time", async () => {
    const added = await add(alice, "2026-01-10", [
      { time: "12:30", activityType: "meal", description: "Lunch", items: ["rice 150 g", "miso soup"] },
      { time: "07:00", activityType: "wakeUp", description: "Woke up" },
    ]);
    expectNoUserId(added);
    expect(added).toMatchObject({ date: "2026-01-10", addedCount: 2, count: 2 });
    expect(added.addedActivityIds).toHaveLength(2);
    for (const id of added.addedActivityIds) expect(id).toMatch(UUID_V7);
    expect(added.addedActivities.map((a) => a.activityId)).toEqual(added.addedActivityIds);
    expect(added.addedActivities[1]).toEqual({ activityId: added.addedActivityIds[1], time: "07:00", activityType: "wakeUp", description: "Woke up", items: [] });

    const day = await getDay(alice, "2026-01-10");
    expectNoUserId(day);
    expect(day.count).toBe(2);
    expect(day.activities.map((a) => a.time)).toEqual(["07:00", "12:30"]);
    expect(day.activities[1]).toEqual({ activityId: added.addedActivityIds[0], time: "12:30", activityType: "meal", description: "Lunch", items: ["rice 150 g", "miso soup"] });
  });

  test("a second AddActivities appends and keeps the existing activities", async () => {
    const before = await getDay(alice, "2026-01-10");
    const added = await add(alice, "2026-01-10", [activity("09:15", "Walk 30 min", { activityType: "exercise" }), activity("23:59", "Went to bed", { activityType: "sleep" })]);
    expect(added).toMatchObject({ addedCount: 2, count: 4 });
    const day = await getDay(alice, "2026-01-10");
    expect(day.activities.map((a) => a.time)).toEqual(["07:00", "09:15", "12:30", "23:59"]);
    expect(day.activities).toEqual(expect.arrayContaining(before.activities));
  });

  test("activities at the same minute keep the order they were recorded in", async () => {
    await add(alice, "2026-01-11", [activity("08:00", "first"), activity("08:00", "second")]);
    await add(alice, "2026-01-11", [activity("08:00", "third"), activity("07:59", "earlier")]);
    expect((await getDay(alice, "2026-01-11")).activities.map((a) => a.description)).toEqual(["earlier", "first", "second", "third"]);
  });

  test("a day without records is an empty list", async () => {
    expect(await getDay(alice, "2025-06-01")).toEqual({ date: "2025-06-01", activities: [], count: 0 });
  });

  test("every activity type is accepted", async () => {
    const types = ["wakeUp", "sleep", "exercise", "meal", "snack", "mood", "medication", "bowelMovement", "urination", "symptoms", "other"];
    await add(alice, "2026-01-12", types.map((activityType, index) => ({ time: `${String(10 + index).padStart(2, "0")}:00`, activityType, description: activityType })));
    expect((await getDay(alice, "2026-01-12")).activities.map((a) => a.activityType)).toEqual(types);
  });

  test("10 concurrent AddActivities on one day all land", async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) => add(alice, "2026-01-13", [activity(`10:${String(index).padStart(2, "0")}`, `concurrent ${index}`)])),
    );
    const day = await getDay(alice, "2026-01-13");
    expect(day.count).toBe(10);
    expect(new Set(day.activities.map((a) => a.activityId))).toEqual(new Set(results.flatMap((result) => result.addedActivityIds)));
    expect(day.activities.map((a) => a.description)).toEqual(Array.from({ length: 10 }, (_, index) => `concurrent ${index}`));
  });
});

describe("validation changes nothing", () => {
  const DATE = "2026-01-20";
  let snapshot: Day;
  let existingId: string;

  beforeAll(async () => {
    existingId = (await add(alice, DATE, [activity("08:00", "Breakfast", { activityType: "meal", items: ["toast"] })])).addedActivityIds[0] as string;
    snapshot = await getDay(alice, DATE);
  });

  const tooManyItems = Array.from({ length: 31 }, (_, index) => `item ${index}`);
  test.each([
    ["time 24:00", { activities: [activity("24:00", "x")] }, /time must be HH:MM.*00:00-23:59.*"24:00"/],
    ["time without leading zero", { activities: [activity("7:30", "x")] }, /time must be HH:MM.*"7:30"/],
    ["minute 60", { activities: [activity("12:60", "x")] }, /time must be HH:MM.*"12:60"/],
    ["unknown activityType", { activities: [{ time: "08:00", activityType: "running", description: "x" }] }, /activityType must be one of wakeUp, sleep.*got "running"/],
    ["empty description", { activities: [activity("08:00", "")] }, /description must not be empty or blank: send 1-1000 characters/],
    ["blank description", { activities: [activity("08:00", "   ")] }, /description must not be empty/],
    ["description too long", { activities: [activity("08:00", "x".repeat(1001))] }, /description is too long: 1-1000 characters allowed, got 1001/],
    ["too many items", { activities: [activity("08:00", "x", { items: tooManyItems })] }, /items may hold at most 30 entries, got 31/],
    ["item too long", { activities: [activity("08:00", "x", { items: ["y".repeat(201)] })] }, /an item is too long: 1-200 characters allowed, got 201/],
    ["empty item", { activities: [activity("08:00", "x", { items: [""] })] }, /item must not be empty/],
    ["caller-supplied activityId", { activities: [activity("08:00", "x", { activityId: "0190a0a0-0000-7000-8000-000000000000" })] }, /unknown field 'activityId'.*assigned by the server/],
    ["unknown field", { activities: [activity("08:00", "x", { calories: 300 })] }, /unknown field 'calories'.*time, activityType, description, items/],
    ["missing description", { activities: [{ time: "08:00", activityType: "meal" }] }, /activities\.0\.description/],
    ["empty list", { activities: [] }, /at least one activity/],
    ["one bad activity among good ones", { activities: [activity("09:00", "good"), activity("25:00", "bad")] }, /activities\.1\.time/],
    ["impossible date", { date: "2026-02-30", activities: [activity("08:00", "x")] }, /YYYY-MM-DD.*2026-02-30/],
    ["userId argument", { userId: "alice-activities", activities: [activity("08:00", "x")] }, /unknown argument 'userId'.*signed-in user/],
  ])("AddActivities rejects %s", async (_name, args, message) => {
    expect(await callError(alice, "AddActivities", { date: DATE, ...args })).toMatch(message);
    expect(await getDay(alice, DATE)).toEqual(snapshot);
  });

  test.each([
    ["no field to change", {}, /at least one of time, activityType, description, items/],
    ["bad time", { time: "8:00" }, /time must be HH:MM/],
    ["bad activityType", { activityType: "nap" }, /activityType must be one of/],
    ["empty description", { description: "" }, /description must not be empty/],
    ["activityId that is not a UUID", { activityId: "abc" }, /activityId must be the id returned.*"abc"/],
  ])("UpdateActivity rejects %s", async (_name, args, message) => {
    expect(await callError(alice, "UpdateActivity", { date: DATE, activityId: existingId, ...args })).toMatch(message);
    expect(await getDay(alice, DATE)).toEqual(snapshot);
  });

  test.each([
    ["bad time", () => [activity("08:00", "keep"), activity("99:00", "x")], /activities\.1\.time/],
    ["unknown activityId", () => [activity("08:00", "x", { activityId: "0190a0a0-0000-7000-8000-000000000000" })], /Activity '0190a0a0-0000-7000-8000-000000000000' was not found.*GetActivities/],
    ["duplicate activityId", () => [activity("08:00", "a", { activityId: existingId }), activity("09:00", "b", { activityId: existingId })], /appears more than once/],
    ["unknown field", () => [activity("08:00", "x", { note: "n" })], /unknown field 'note'/],
  ])("UpdateActivities rejects %s", async (_name, activities, message) => {
    expect(await callError(alice, "UpdateActivities", { date: DATE, activities: activities() })).toMatch(message);
    expect(await getDay(alice, DATE)).toEqual(snapshot);
  });

  test("DeleteActivity rejects an activityId that is not a UUID", async () => {
    expect(await callError(alice, "DeleteActivity", { date: DATE, activityId: "1" })).toMatch(/activityId must be the id returned/);
    expect(await getDay(alice, DATE)).toEqual(snapshot);
  });

  test("a day holds at most 200 activities", async () => {
    const date = "2026-01-21";
    const many = Array.from({ length: 200 }, (_, index) => activity(`${String(Math.floor(index / 60)).padStart(2, "0")}:${String(index % 60).padStart(2, "0")}`, `a${index}`));
    expect((await add(alice, date, many)).count).toBe(200);
    const before = await getDay(alice, date);
    expect(await callError(alice, "AddActivities", { date, activities: [activity("20:00", "one too many")] })).toMatch(/would hold 201 activities; at most 200/);
    expect(await getDay(alice, date)).toEqual(before);
    expect(await callError(alice, "AddActivities", { date: "2026-01-22", activities: [...many, activity("20:00", "x")] })).toMatch(/at most 200 per call, got 201/);
    expect((await getDay(alice, "2026-01-22")).count).toBe(0);
  });

  test("a day's activities stay far below DynamoDB's 400 KB item limit", async () => {
    const date = "2026-01-23";
    const heavy = Array.from({ length: 20 }, (_, index) => activity("10:00", "d".repeat(1000), { items: Array.from({ length: 30 }, () => `${index}`.padEnd(200, "i")) }));
    await add(alice, date, heavy);
    const before = await getDay(alice, date);
    expect(await callError(alice, "AddActivities", { date, activities: heavy })).toMatch(/would take \d+ KB; at most 256 KB are kept per day/);
    expect(await getDay(alice, date)).toEqual(before);
  });
});

describe("a day stored without a version (e.g. imported) and over the bounds", () => {
  test("can still shrink, and gets a version on its first write", async () => {
    const date = "2026-01-24";
    const stored = Array.from({ length: 201 }, (_, index) => ({
      activityId: `0190a0a0-0000-7000-8000-${String(index).padStart(12, "0")}`,
      time: "12:00",
      activityType: "other",
      description: `imported ${index}`,
      items: [],
    }));
    await harness.dynamo.db.send(
      new PutCommand({ TableName: harness.dynamo.tables.activities, Item: { userId: "alice-activities", date, activities: stored, createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-01-01T00:00:00.000Z" } }),
    );
    expect(await callError(alice, "AddActivities", { date, activities: [activity("13:00", "more")] })).toMatch(/would hold 202 activities; at most 200/);
    const deleted = await callOk<{ remainingCount: number }>(alice, "DeleteActivity", { date, activityId: stored[0]?.activityId });
    expect(deleted.remainingCount).toBe(200);
    await callOk(alice, "UpdateActivity", { date, activityId: stored[1]?.activityId, description: "edited" });
    const day = await getDay(alice, date);
    expect(day.count).toBe(200);
    expect(day.activities[0]).toMatchObject({ activityId: stored[1]?.activityId, description: "edited" });
  });
});

describe("UpdateActivity", () => {
  const DATE = "2026-01-25";
  let ids: string[];
  beforeAll(async () => {
    ids = (await add(alice, DATE, [activity("08:00", "Breakfast", { activityType: "meal", items: ["egg"] }), activity("12:00", "Lunch", { activityType: "meal" })])).addedActivityIds;
  });

  test("changes only the fields sent", async () => {
    const result = await callOk<{ date: string; activityId: string; updatedActivity: Activity }>(alice, "UpdateActivity", { date: DATE, activityId: ids[0], description: "Big breakfast" });
    expectNoUserId(result);
    expect(result).toEqual({ date: DATE, activityId: ids[0], updatedActivity: { activityId: ids[0], time: "08:00", activityType: "meal", description: "Big breakfast", items: ["egg"] } });
    const day = await getDay(alice, DATE);
    expect(day.activities[0]).toEqual(result.updatedActivity);
    expect(day.activities[1]).toMatchObject({ activityId: ids[1], description: "Lunch" });
  });

  test("a new time re-sorts the day; items: [] clears the details", async () => {
    await callOk(alice, "UpdateActivity", { date: DATE, activityId: ids[0], time: "13:00", activityType: "snack", items: [] });
    const day = await getDay(alice, DATE);
    expect(day.activities.map((a) => a.activityId)).toEqual([ids[1], ids[0]]);
    expect(day.activities[1]).toEqual({ activityId: ids[0], time: "13:00", activityType: "snack", description: "Big breakfast", items: [] });
  });

  test("an unknown id or a day without records is not found", async () => {
    const before = await getDay(alice, DATE);
    expect(await callError(alice, "UpdateActivity", { date: DATE, activityId: "0190a0a0-0000-7000-8000-000000000001", time: "10:00" })).toMatch(
      /Activity '0190a0a0-0000-7000-8000-000000000001' was not found.*GetActivities with date 2026-01-25/,
    );
    expect(await callError(alice, "UpdateActivity", { date: "2025-01-01", activityId: ids[0], time: "10:00" })).toMatch(/not found.*2025-01-01/);
    expect(await getDay(alice, DATE)).toEqual(before);
    expect((await getDay(alice, "2025-01-01")).count).toBe(0);
  });
});

describe("UpdateActivities", () => {
  const DATE = "2026-01-26";

  test("replaces the day, keeping the identity of activities sent with their id", async () => {
    const ids = (await add(alice, DATE, [activity("08:00", "keep me"), activity("09:00", "drop me")])).addedActivityIds;
    const result = await callOk<ReplaceResult>(alice, "UpdateActivities", {
      date: DATE,
      activities: [activity("21:00", "brand new", { activityType: "mood" }), { activityId: ids[0], time: "08:30", activityType: "meal", description: "kept, changed" }],
    });
    expectNoUserId(result);
    expect(result.updatedCount).toBe(2);
    expect(result.activities.map((a) => a.description)).toEqual(["kept, changed", "brand new"]);
    expect(result.activityIds[0]).toBe(ids[0]);
    expect(result.activityIds[1]).toMatch(UUID_V7);
    expect(result.activityIds).not.toContain(ids[1]);
    expect(result.activities[0]).toEqual({ activityId: ids[0], time: "08:30", activityType: "meal", description: "kept, changed", items: [] });
    const day = await getDay(alice, DATE);
    expect(day.activities).toEqual(result.activities);
  });

  test("creates a day that had no record", async () => {
    const result = await callOk<ReplaceResult>(alice, "UpdateActivities", { date: "2026-01-27", activities: [activity("06:00", "new day")] });
    expect(result.updatedCount).toBe(1);
    expect((await getDay(alice, "2026-01-27")).activities).toEqual(result.activities);
  });

  test("an empty list removes the day's record", async () => {
    const result = await callOk<ReplaceResult>(alice, "UpdateActivities", { date: DATE, activities: [] });
    expect(result).toEqual({ date: DATE, updatedCount: 0, activityIds: [], activities: [] });
    expect(await getDay(alice, DATE)).toEqual({ date: DATE, activities: [], count: 0 });
    const range = await callOk<RangeResult>(alice, "GetActivitiesInRange", { startDate: DATE, endDate: DATE });
    expect(range.dailyActivities).toEqual([]);
  });
});

describe("DeleteActivity", () => {
  const DATE = "2026-01-28";

  test("removes one activity, then the whole day with its last activity", async () => {
    const ids = (await add(alice, DATE, [activity("08:00", "one"), activity("09:00", "two")])).addedActivityIds;
    const first = await callOk<{ date: string; activityId: string; deletedActivity: Activity; remainingCount: number }>(alice, "DeleteActivity", { date: DATE, activityId: ids[0] });
    expectNoUserId(first);
    expect(first).toEqual({ date: DATE, activityId: ids[0], deletedActivity: { activityId: ids[0], time: "08:00", activityType: "other", description: "one", items: [] }, remainingCount: 1 });
    expect((await getDay(alice, DATE)).activities.map((a) => a.activityId)).toEqual([ids[1]]);

    expect(await callError(alice, "DeleteActivity", { date: DATE, activityId: ids[0] })).toMatch(/was not found/);

    const last = await callOk<{ remainingCount: number }>(alice, "DeleteActivity", { date: DATE, activityId: ids[1] });
    expect(last.remainingCount).toBe(0);
    const range = await callOk<RangeResult>(alice, "GetActivitiesInRange", { startDate: DATE, endDate: DATE });
    expect(range.dailyActivities).toEqual([]);
    expect(await callError(alice, "DeleteActivity", { date: DATE, activityId: ids[1] })).toMatch(/was not found.*GetActivities/);
  });
});

describe("GetActivitiesInRange", () => {
  // 25 days in 2025-03 with one activity each; page size 10 → three pages.
  const dates = Array.from({ length: 25 }, (_, index) => `2025-03-${String(index + 1).padStart(2, "0")}`);
  beforeAll(async () => {
    for (const date of dates) await add(alice, date, [activity("10:00", `on ${date}`), activity("07:00", `early ${date}`)]);
    await add(alice, "2025-02-28", [activity("10:00", "before the range")]);
    await add(alice, "2025-04-01", [activity("10:00", "after the range")]);
  });

  test("walks every day exactly once, oldest first, past one page", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page: RangeResult = await callOk<RangeResult>(alice, "GetActivitiesInRange", { startDate: "2025-03-01", endDate: "2025-03-31", limit: 10, ...(cursor ? { cursor } : {}) });
      expectNoUserId(page);
      expect(page).toMatchObject({ startDate: "2025-03-01", endDate: "2025-03-31", dateRangeDays: 31 });
      for (const day of page.dailyActivities) {
        expect(day.count).toBe(2);
        expect(day.activities.map((a) => a.description)).toEqual([`early ${day.date}`, `on ${day.date}`]);
      }
      seen.push(...page.dailyActivities.map((day) => day.date));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(dates);
  });

  test("default page size is 20", async () => {
    const page = await callOk<RangeResult>(alice, "GetActivitiesInRange", { startDate: "2025-03-01", endDate: "2025-03-31" });
    expect(page.dailyActivities).toHaveLength(20);
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  test("365 days are allowed, 366 are not; start after end is refused", async () => {
    const year = await callOk<RangeResult>(alice, "GetActivitiesInRange", { startDate: "2025-01-01", endDate: "2025-12-31", limit: 100 });
    expect(year.dateRangeDays).toBe(365);
    expect(year.dailyActivities.map((day) => day.date)).toEqual(["2025-02-28", ...dates, "2025-04-01"]);
    expect(await callError(alice, "GetActivitiesInRange", { startDate: "2024-01-01", endDate: "2024-12-31" })).toMatch(/covers 366 days; at most 365/);
    expect(await callError(alice, "GetActivitiesInRange", { startDate: "2025-03-02", endDate: "2025-03-01" })).toMatch(/startDate 2025-03-02 is after endDate 2025-03-01/);
  });

  test.each([
    ["garbage cursor", { cursor: "not-a-cursor" }, /cursor is not valid/],
    ["limit 0", { limit: 0 }, /limit/],
    ["limit 101", { limit: 101 }, /limit/],
    ["bad date", { startDate: "2025-3-1" }, /YYYY-MM-DD/],
  ])("rejects %s", async (_name, args, message) => {
    expect(await callError(alice, "GetActivitiesInRange", { startDate: "2025-03-01", endDate: "2025-03-31", ...args })).toMatch(message);
  });

  test("a cursor from another range is refused", async () => {
    const page = await callOk<RangeResult>(alice, "GetActivitiesInRange", { startDate: "2025-03-01", endDate: "2025-03-31", limit: 10 });
    expect(await callError(alice, "GetActivitiesInRange", { startDate: "2025-03-20", endDate: "2025-03-31", cursor: page.nextCursor })).toMatch(/different date range/);
  });
});

describe("another user", () => {
  const DATE = "2026-01-29";

  test("knowing the date and ids can neither read nor change the data", async () => {
    const ids = (await add(alice, DATE, [activity("08:00", "private"), activity("09:00", "also private")])).addedActivityIds;
    const before = await getDay(alice, DATE);

    expect(await getDay(other, DATE)).toEqual({ date: DATE, activities: [], count: 0 });
    expect((await callOk<RangeResult>(other, "GetActivitiesInRange", { startDate: DATE, endDate: DATE })).dailyActivities).toEqual([]);
    expect(await callError(other, "UpdateActivity", { date: DATE, activityId: ids[0], description: "hacked" })).toMatch(/was not found/);
    expect(await callError(other, "DeleteActivity", { date: DATE, activityId: ids[0] })).toMatch(/was not found/);
    expect(await callError(other, "UpdateActivities", { date: DATE, activities: [activity("08:00", "hacked", { activityId: ids[0] })] })).toMatch(/was not found/);
    // Writing the same date creates the other user's own day, next to alice's.
    await callOk(other, "UpdateActivities", { date: DATE, activities: [] });
    await add(other, DATE, [activity("10:00", "mine")]);
    expect((await getDay(other, DATE)).activities.map((a) => a.description)).toEqual(["mine"]);
    // A cursor made for alice's partition cannot be replayed by someone else.
    const page = await callOk<RangeResult>(alice, "GetActivitiesInRange", { startDate: "2025-03-01", endDate: "2025-03-31", limit: 1 });
    expect(await callError(other, "GetActivitiesInRange", { startDate: "2025-03-01", endDate: "2025-03-31", cursor: page.nextCursor })).toMatch(/cursor is not valid/);

    expect(await getDay(alice, DATE)).toEqual(before);
  });
});

describe("tool listing", () => {
  test("the six activity tools are listed with their annotations and a description on every field", async () => {
    const { tools } = await alice.listTools();
    const expected: Record<string, { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean }> = {
      AddActivities: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
      UpdateActivities: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      UpdateActivity: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      DeleteActivity: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      GetActivities: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      GetActivitiesInRange: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    };
    expectToolsListed(tools, expected);
  });
});
