import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callError, callOk, startManager, type ManagerHarness } from "../support/manager";
import { expectToolsListed } from "../support/schema";

interface Measurement {
  measurement_id: string;
  measurement_time: string;
  weight?: number;
  height?: number;
  body_fat_percentage?: number;
  created_at: string;
  updated_at: string;
}
interface Reading {
  value: number;
  measurement_time: string;
  measurement_id: string;
}
type Readings = Partial<Record<"weight" | "height" | "body_fat_percentage", Reading>>;
interface History {
  measurements: Measurement[];
  count: number;
  period: { start_date: string; end_date: string; timezone: string };
  nextCursor?: string;
}

const NOW = new Date("2026-06-15T12:00:00.000Z");
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ALL_OF_2026 = { start_date: "2026-01-01", end_date: "2026-12-31", timezone: "UTC", limit: 100 };

let harness: ManagerHarness;
let userCount = 0;

beforeAll(async () => {
  harness = await startManager();
  harness.setNow(NOW);
});
afterAll(() => harness.close());

/** A fresh user per test keeps the cases independent. */
function newUser(): Promise<Client> {
  return harness.clientFor(`bm-user-${++userCount}`);
}

const add = (client: Client, args: Record<string, unknown>) => callOk<Measurement>(client, "AddBodyMeasurement", args);
const latest = async (client: Client) => (await callOk<{ measurements: Readings }>(client, "GetLatestMeasurements")).measurements;
const oldest = async (client: Client) => (await callOk<{ measurements: Readings }>(client, "GetOldestMeasurements")).measurements;
const history = (client: Client, args: Record<string, unknown> = ALL_OF_2026) => callOk<History>(client, "GetMeasurementHistory", args);

/** Everything a user can see about their measurements, to prove a failed call changed nothing. */
async function snapshot(client: Client) {
  return { latest: await latest(client), oldest: await oldest(client), history: await history(client) };
}

const reading = (measurement: Measurement, metric: "weight" | "height" | "body_fat_percentage"): Reading => ({
  value: measurement[metric] as number,
  measurement_time: measurement.measurement_time,
  measurement_id: measurement.measurement_id,
});

function expectNoInternals(record: object): void {
  expect(record).not.toHaveProperty("userId");
  expect(record).not.toHaveProperty("version");
  expect(record).not.toHaveProperty("measurementId");
  expect(Object.keys(record).filter((key) => key.endsWith("Key"))).toEqual([]);
}

describe("AddBodyMeasurement", () => {
  test("records the values with a server-assigned id and returns the record", async () => {
    const client = await newUser();
    const record = await add(client, { weight: 70.5, height: 172, body_fat_percentage: 21.3, measurement_time: "2026-06-10T07:30:00+09:00" });
    expect(record).toEqual({
      measurement_id: expect.stringMatching(UUID_RE),
      measurement_time: "2026-06-10T07:30:00+09:00",
      weight: 70.5,
      height: 172,
      body_fat_percentage: 21.3,
      created_at: NOW.toISOString(),
      updated_at: NOW.toISOString(),
    });
    expectNoInternals(record);
    expect((await history(client)).measurements).toEqual([record]);
  });

  test("measurement_time defaults to now; one value is enough; the bounds themselves are allowed", async () => {
    const client = await newUser();
    const record = await add(client, { weight: 1 });
    expect(record).toMatchObject({ measurement_time: NOW.toISOString(), weight: 1 });
    expect(record).not.toHaveProperty("height");
    await add(client, { weight: 1000, height: 50, body_fat_percentage: 0 });
    await add(client, { height: 300, body_fat_percentage: 100 });
    expect((await history(client)).count).toBe(3);
  });

  test("two measurements at the same time are both kept (the original overwrote the first)", async () => {
    const client = await newUser();
    const first = await add(client, { weight: 70, measurement_time: "2026-06-01T08:00:00Z" });
    const second = await add(client, { weight: 71, measurement_time: "2026-06-01T08:00:00Z" });
    expect(first.measurement_id).not.toBe(second.measurement_id);
    expect((await history(client)).count).toBe(2);
  });

  test.each([
    [{}, /at least one of weight.*height.*body_fat_percentage/],
    [{ measurement_time: "2026-06-01T08:00:00Z" }, /at least one/],
    [{ weight: 0 }, /weight must be 1-1000 kg, got 0/],
    [{ weight: 1000.5 }, /weight must be 1-1000 kg, got 1000.5/],
    [{ weight: "70" }, /weight must be a number in 1-1000 kg, got "70"/],
    [{ height: 49.9 }, /height must be 50-300 cm, got 49.9/],
    [{ height: 301 }, /height must be 50-300 cm, got 301/],
    [{ body_fat_percentage: -1 }, /body_fat_percentage must be 0-100 %, got -1/],
    [{ body_fat_percentage: 100.1 }, /body_fat_percentage must be 0-100 %, got 100.1/],
    [{ weight: 70, measurement_time: "2026-06-01" }, /measurement_time.*ISO-8601 date-time with offset/],
    [{ weight: 70, measurement_time: "2026-06-01T08:00:00" }, /measurement_time.*with offset/],
    [{ weight: 70, measurement_time: "2026-02-30T08:00:00Z" }, /measurement_time.*ISO-8601/],
    [{ weight: 70, measurement_time: "1899-12-31T23:59:59Z" }, /measurement_time .* out of range.*1900/],
    [{ weight: 70, measurement_time: "2026-06-16T12:00:01Z" }, /measurement_time .* out of range.*no later than 2026-06-16T12:00:00.000Z/],
    [{ weight: 70, userId: "someone-else" }, /unknown argument 'userId'.*signed-in user/],
    [{ weight: 70, measurement_id: "0197a1c2-0000-7000-8000-000000000000" }, /unknown argument 'measurement_id'/],
  ])("rejects %j and changes nothing", async (args, message) => {
    const client = await newUser();
    await add(client, { weight: 80, height: 180, measurement_time: "2026-05-01T08:00:00Z" });
    const before = await snapshot(client);
    expect(await callError(client, "AddBodyMeasurement", args)).toMatch(message);
    expect(await snapshot(client)).toEqual(before);
  });
});

describe("UpdateBodyMeasurement", () => {
  test("changes only the fields sent and keeps the id and created_at", async () => {
    const client = await newUser();
    const record = await add(client, { weight: 70, height: 170, measurement_time: "2026-06-01T08:00:00Z" });
    harness.setNow(new Date("2026-06-15T13:00:00.000Z"));
    try {
      const updated = await callOk<Measurement>(client, "UpdateBodyMeasurement", { measurement_id: record.measurement_id, weight: 69.5 });
      expect(updated).toEqual({ ...record, weight: 69.5, updated_at: "2026-06-15T13:00:00.000Z" });
      expectNoInternals(updated);
      const moved = await callOk<Measurement>(client, "UpdateBodyMeasurement", {
        measurement_id: record.measurement_id,
        measurement_time: "2026-06-02T08:00:00+02:00",
        body_fat_percentage: 20,
      });
      expect(moved).toEqual({ ...updated, measurement_time: "2026-06-02T08:00:00+02:00", body_fat_percentage: 20 });
      expect((await history(client)).measurements).toEqual([moved]);
    } finally {
      harness.setNow(NOW);
    }
  });

  test.each([
    [{}, /at least one of weight, height, body_fat_percentage, measurement_time/],
    [{ weight: 0 }, /weight must be 1-1000 kg/],
    [{ height: 500 }, /height must be 50-300 cm, got 500/],
    [{ body_fat_percentage: 101 }, /body_fat_percentage must be 0-100 %/],
    [{ measurement_time: "yesterday" }, /measurement_time.*ISO-8601/],
    [{ measurement_time: "2027-01-01T00:00:00Z" }, /out of range/],
    [{ weight: null }, /weight must be a number/],
    [{ weight: 70, userId: "x" }, /unknown argument 'userId'/],
  ])("rejects %j and changes nothing", async (args, message) => {
    const client = await newUser();
    const record = await add(client, { weight: 80, height: 180, measurement_time: "2026-05-01T08:00:00Z" });
    const before = await snapshot(client);
    expect(await callError(client, "UpdateBodyMeasurement", { measurement_id: record.measurement_id, ...args })).toMatch(message);
    expect(await snapshot(client)).toEqual(before);
  });

  test("a malformed or unknown id is refused with a hint", async () => {
    const client = await newUser();
    expect(await callError(client, "UpdateBodyMeasurement", { measurement_id: "2026-06-01T08:00:00Z", weight: 70 })).toMatch(
      /measurement_id must be the id returned when it was created/,
    );
    expect(await callError(client, "UpdateBodyMeasurement", { measurement_id: "0197a1c2-0000-7000-8000-000000000000", weight: 70 })).toMatch(
      /Measurement '0197a1c2-0000-7000-8000-000000000000' was not found.*GetMeasurementHistory/,
    );
    expect((await history(client)).count).toBe(0);
  });

  test("concurrent updates of one measurement all apply and keep the indexes consistent", async () => {
    const client = await newUser();
    const record = await add(client, { weight: 70, measurement_time: "2026-06-01T08:00:00Z" });
    await Promise.all([
      callOk(client, "UpdateBodyMeasurement", { measurement_id: record.measurement_id, measurement_time: "2026-06-03T08:00:00Z" }),
      callOk(client, "UpdateBodyMeasurement", { measurement_id: record.measurement_id, height: 170 }),
      callOk(client, "UpdateBodyMeasurement", { measurement_id: record.measurement_id, body_fat_percentage: 20 }),
      callOk(client, "UpdateBodyMeasurement", { measurement_id: record.measurement_id, weight: 71 }),
    ]);
    const expected = { measurement_id: record.measurement_id, measurement_time: "2026-06-03T08:00:00Z" };
    expect(await latest(client)).toEqual({
      weight: { value: 71, ...expected },
      height: { value: 170, ...expected },
      body_fat_percentage: { value: 20, ...expected },
    });
    expect(await oldest(client)).toEqual(await latest(client));
    expect((await history(client, { ...ALL_OF_2026, start_date: "2026-06-03", end_date: "2026-06-03" })).count).toBe(1);
  });
});

describe("DeleteBodyMeasurement", () => {
  test("returns the deleted record; a second delete is not found", async () => {
    const client = await newUser();
    const keep = await add(client, { weight: 70, measurement_time: "2026-06-01T08:00:00Z" });
    const gone = await add(client, { weight: 71, measurement_time: "2026-06-02T08:00:00Z" });
    const deleted = await callOk<Measurement>(client, "DeleteBodyMeasurement", { measurement_id: gone.measurement_id });
    expect(deleted).toEqual(gone);
    expectNoInternals(deleted);
    expect((await history(client)).measurements).toEqual([keep]);
    expect(await callError(client, "DeleteBodyMeasurement", { measurement_id: gone.measurement_id })).toMatch(/was not found for this user/);
    expect(await callError(client, "DeleteBodyMeasurement", { measurement_id: "latest" })).toMatch(/measurement_id must be the id/);
    expect((await history(client)).measurements).toEqual([keep]);
  });
});

describe("GetLatestMeasurements / GetOldestMeasurements", () => {
  test("with no data both are empty", async () => {
    const client = await newUser();
    expect(await latest(client)).toEqual({});
    expect(await oldest(client)).toEqual({});
  });

  test("out-of-order entries: per metric by measurement time, not by insertion order or string order", async () => {
    const client = await newUser();
    const june3 = await add(client, { weight: 70, measurement_time: "2026-06-03T08:00:00Z" });
    const june1 = await add(client, { weight: 72, body_fat_percentage: 25, measurement_time: "2026-06-01T08:00:00Z" });
    const june2 = await add(client, { weight: 71, height: 170, measurement_time: "2026-06-02T08:00:00Z" });
    // 2026-06-04T07:00+09:00 is 2026-06-03T22:00Z: later than june3 though its text sorts after "2026-06-04T06".
    const tokyo = await add(client, { body_fat_percentage: 24, measurement_time: "2026-06-04T07:00:00+09:00" });
    const utcLater = await add(client, { body_fat_percentage: 23, measurement_time: "2026-06-03T23:00:00Z" });
    expect(await latest(client)).toEqual({ weight: reading(june3, "weight"), height: reading(june2, "height"), body_fat_percentage: reading(utcLater, "body_fat_percentage") });
    expect(await oldest(client)).toEqual({ weight: reading(june1, "weight"), height: reading(june2, "height"), body_fat_percentage: reading(june1, "body_fat_percentage") });
    expect(tokyo.measurement_time < utcLater.measurement_time).toBe(false); // the texts alone would pick the wrong one
  });

  test("after updates: moved times, changed values and newly added metrics are reflected", async () => {
    const client = await newUser();
    const june1 = await add(client, { weight: 72, measurement_time: "2026-06-01T08:00:00Z" });
    const june2 = await add(client, { weight: 71, measurement_time: "2026-06-02T08:00:00Z" });
    const june3 = await add(client, { weight: 70, measurement_time: "2026-06-03T08:00:00Z" });

    // The oldest moves to the newest: latest and oldest both change (the original never recomputed oldest).
    const moved = await callOk<Measurement>(client, "UpdateBodyMeasurement", { measurement_id: june1.measurement_id, measurement_time: "2026-06-04T08:00:00Z" });
    expect(await latest(client)).toEqual({ weight: reading(moved, "weight") });
    expect(await oldest(client)).toEqual({ weight: reading(june2, "weight") });

    // A changed value of the oldest, and a metric added to a middle record by an update.
    const changed = await callOk<Measurement>(client, "UpdateBodyMeasurement", { measurement_id: june2.measurement_id, weight: 75.5 });
    const withHeight = await callOk<Measurement>(client, "UpdateBodyMeasurement", { measurement_id: june3.measurement_id, height: 168 });
    expect(await oldest(client)).toEqual({ weight: reading(changed, "weight"), height: reading(withHeight, "height") });
    expect(await latest(client)).toEqual({ weight: reading(moved, "weight"), height: reading(withHeight, "height") });

    // Moving the record with the height keeps the height's index key in step with the time.
    const heightMoved = await callOk<Measurement>(client, "UpdateBodyMeasurement", { measurement_id: june3.measurement_id, measurement_time: "2026-05-30T08:00:00Z" });
    expect(await oldest(client)).toEqual({ weight: reading(heightMoved, "weight"), height: reading(heightMoved, "height") });
    expect(await latest(client)).toEqual({ weight: reading(moved, "weight"), height: reading(heightMoved, "height") });
  });

  test("after deletes: the next measurement with the metric takes over; nothing left gives {}", async () => {
    const client = await newUser();
    const june1 = await add(client, { weight: 72, height: 170, measurement_time: "2026-06-01T08:00:00Z" });
    const june2 = await add(client, { weight: 71, measurement_time: "2026-06-02T08:00:00Z" });
    const june3 = await add(client, { weight: 70, height: 171, measurement_time: "2026-06-03T08:00:00Z" });

    await callOk(client, "DeleteBodyMeasurement", { measurement_id: june3.measurement_id });
    expect(await latest(client)).toEqual({ weight: reading(june2, "weight"), height: reading(june1, "height") });
    await callOk(client, "DeleteBodyMeasurement", { measurement_id: june1.measurement_id });
    expect(await oldest(client)).toEqual({ weight: reading(june2, "weight") });
    expect(await latest(client)).toEqual({ weight: reading(june2, "weight") });
    await callOk(client, "DeleteBodyMeasurement", { measurement_id: june2.measurement_id });
    expect(await latest(client)).toEqual({});
    expect(await oldest(client)).toEqual({});
  });

  test("take no arguments", async () => {
    const client = await newUser();
    expect(await callError(client, "GetLatestMeasurements", { userId: "someone" })).toMatch(/unknown argument 'userId'/);
  });
});

describe("GetMeasurementHistory", () => {
  test("dates are days in the given time zone, both ends included", async () => {
    const client = await newUser();
    // 2026-06-10 in Asia/Tokyo is [2026-06-09T15:00Z, 2026-06-10T15:00Z).
    const beforeDay = await add(client, { weight: 70, measurement_time: "2026-06-09T14:59:59.999Z" });
    const dayStart = await add(client, { weight: 71, measurement_time: "2026-06-10T00:00:00+09:00" });
    const dayEnd = await add(client, { weight: 72, measurement_time: "2026-06-10T14:59:59Z" });
    const afterDay = await add(client, { weight: 73, measurement_time: "2026-06-10T15:00:00Z" });
    const tokyo = await history(client, { start_date: "2026-06-10", end_date: "2026-06-10", timezone: "Asia/Tokyo" });
    expect(tokyo).toEqual({ measurements: [dayEnd, dayStart], count: 2, period: { start_date: "2026-06-10", end_date: "2026-06-10", timezone: "Asia/Tokyo" } });
    const utc = await history(client, { start_date: "2026-06-10", end_date: "2026-06-10", timezone: "UTC" });
    expect(utc.measurements).toEqual([afterDay, dayEnd]); // dayStart is 2026-06-09T15:00Z
    const twoDays = await history(client, { start_date: "2026-06-09", end_date: "2026-06-10", timezone: "UTC" });
    expect(twoDays.measurements).toEqual([afterDay, dayEnd, dayStart, beforeDay]);
  });

  test("without a timezone argument the profile's zone is used, else UTC", async () => {
    const client = await newUser();
    const late = await add(client, { weight: 70, measurement_time: "2026-06-11T02:00:00Z" }); // 2026-06-10 22:00 in New York
    const range = { start_date: "2026-06-10", end_date: "2026-06-10" };
    expect(await history(client, range)).toEqual({ measurements: [], count: 0, period: { ...range, timezone: "UTC" } });
    await callOk(client, "AddUser", { username: "Tz", timezone: "America/New_York" });
    expect(await history(client, range)).toEqual({ measurements: [late], count: 1, period: { ...range, timezone: "America/New_York" } });
  });

  test("pages past one page: every measurement once, newest first", async () => {
    const client = await newUser();
    const added: Measurement[] = [];
    // Inserted in shuffled time order, so id order and time order differ.
    for (const day of [5, 1, 7, 3, 2, 6, 4]) added.push(await add(client, { weight: 60 + day, measurement_time: `2026-06-0${day}T08:00:00Z` }));
    const expected = [...added].sort((a, b) => b.measurement_time.localeCompare(a.measurement_time));
    const seen: Measurement[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await history(client, { ...ALL_OF_2026, limit: 3, ...(cursor ? { cursor } : {}) });
      expect(page.count).toBe(page.measurements.length);
      expect(page.count).toBeLessThanOrEqual(3);
      seen.push(...page.measurements);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);
  });

  test("the default page holds 50", async () => {
    const client = await newUser();
    for (let index = 0; index < 51; index++) await add(client, { weight: 70, measurement_time: new Date(Date.UTC(2026, 4, 1, 0, index)).toISOString() });
    const first = await history(client, { start_date: "2026-05-01", end_date: "2026-05-01" });
    expect(first.count).toBe(50);
    const rest = await history(client, { start_date: "2026-05-01", end_date: "2026-05-01", cursor: first.nextCursor });
    expect(rest.count).toBe(1);
    expect(rest.nextCursor).toBeUndefined();
  });

  test.each([
    [{ start_date: "2026-06-10", end_date: "2026-06-09" }, /start_date 2026-06-10 is after end_date 2026-06-09/],
    [{ start_date: "2025-01-01", end_date: "2026-01-01" }, /366 days; at most 365/],
    [{ start_date: "2026-6-1", end_date: "2026-06-09" }, /start_date: expected a date as YYYY-MM-DD/],
    [{ start_date: "2026-06-01", end_date: "2026-06-31" }, /end_date: expected a date as YYYY-MM-DD, got "2026-06-31"/],
    [{ start_date: "2026-06-01" }, /end_date/],
    [{ start_date: "2026-06-01", end_date: "2026-06-09", limit: 0 }, /limit must be 1-100, got 0/],
    [{ start_date: "2026-06-01", end_date: "2026-06-09", limit: 101 }, /limit must be 1-100, got 101/],
    [{ start_date: "2026-06-01", end_date: "2026-06-09", limit: 2.5 }, /limit must be a whole number/],
    [{ start_date: "2026-06-01", end_date: "2026-06-09", limit: "10" }, /limit must be a whole number 1-100, got "10"/],
    [{ start_date: "2026-06-01", end_date: "2026-06-09", timezone: "Mars/Base" }, /unknown time zone "Mars\/Base"/],
    [{ start_date: "2026-06-01", end_date: "2026-06-09", cursor: "not-a-cursor" }, /cursor is not valid/],
  ])("rejects %j", async (args, message) => {
    const client = await newUser();
    expect(await callError(client, "GetMeasurementHistory", args)).toMatch(message);
  });

  test("a cursor from another date range is refused", async () => {
    const client = await newUser();
    for (const day of [1, 2, 3]) await add(client, { weight: 70, measurement_time: `2026-06-0${day}T08:00:00Z` });
    const page = await history(client, { start_date: "2026-06-01", end_date: "2026-06-03", timezone: "UTC", limit: 1 });
    expect(page.nextCursor).toBeDefined();
    expect(await callError(client, "GetMeasurementHistory", { start_date: "2026-07-01", end_date: "2026-07-03", timezone: "UTC", cursor: page.nextCursor })).toMatch(
      /cursor belongs to a different date range/,
    );
  });
});

describe("isolation", () => {
  test("another user who knows the ids can neither read nor change the measurements", async () => {
    const owner = await newUser();
    const intruder = await harness.clientFor("bm-intruder");
    const record = await add(owner, { weight: 70, height: 170, measurement_time: "2026-06-01T08:00:00Z" });
    await add(owner, { weight: 71, measurement_time: "2026-06-02T08:00:00Z" });
    const before = await snapshot(owner);
    const ownerPage = await history(owner, { ...ALL_OF_2026, limit: 1 });

    expect(await callError(intruder, "UpdateBodyMeasurement", { measurement_id: record.measurement_id, weight: 99 })).toMatch(/was not found for this user/);
    expect(await callError(intruder, "DeleteBodyMeasurement", { measurement_id: record.measurement_id })).toMatch(/was not found for this user/);
    expect(await latest(intruder)).toEqual({});
    expect(await oldest(intruder)).toEqual({});
    expect((await history(intruder)).measurements).toEqual([]);
    expect(await callError(intruder, "GetMeasurementHistory", { ...ALL_OF_2026, cursor: ownerPage.nextCursor })).toMatch(/cursor is not valid/);
    expect(await callError(intruder, "AddBodyMeasurement", { weight: 70, userId: "bm-user-1" })).toMatch(/unknown argument 'userId'/);

    expect(await snapshot(owner)).toEqual(before);
  });
});

describe("tool listing", () => {
  test("every field of every body-measurement tool is described; annotations match the tool's nature", async () => {
    const client = await newUser();
    const { tools } = await client.listTools();
    const expected: Record<string, { readOnlyHint: boolean; destructiveHint: boolean }> = {
      AddBodyMeasurement: { readOnlyHint: false, destructiveHint: false },
      UpdateBodyMeasurement: { readOnlyHint: false, destructiveHint: false },
      DeleteBodyMeasurement: { readOnlyHint: false, destructiveHint: true },
      GetLatestMeasurements: { readOnlyHint: true, destructiveHint: false },
      GetOldestMeasurements: { readOnlyHint: true, destructiveHint: false },
      GetMeasurementHistory: { readOnlyHint: true, destructiveHint: false },
    };
    expectToolsListed(tools, expected);
  });
});
