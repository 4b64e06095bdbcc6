import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callError, callOk, startManager, type ManagerHarness } from "../support/manager";
import { expectToolsListed } from "../support/schema";

interface ProgressLog {
  date: string;
  note: string;
  recordedAt: string;
}
interface Observation {
  observationId: string;
  title: string;
  description: string;
  priority: number;
  status: "IN_PROGRESS" | "COMPLETED" | "CANCELLED";
  startDatetime: string;
  targetDatetime: string;
  frequency: string;
  checkItems: string[];
  progressLogs: ProgressLog[];
  conclusion?: string;
  createdAt: string;
  updatedAt: string;
}
interface ObservationList {
  observations: Observation[];
  count: number;
  nextCursor?: string;
  dateRange?: { startDate: string; endDate: string; timezone: string };
}

const NOW = new Date("2026-06-15T12:00:00.000Z");
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UNKNOWN_ID = "0197a1c2-0000-7000-8000-000000000000";
const BACK_PAIN = {
  title: "Back pain",
  description: "Lower back pain after lifting; watch whether it eases.",
  priority: 3,
  startDatetime: "2026-06-15T09:00:00+09:00",
  targetDatetime: "2026-06-18T09:00:00+09:00",
  frequency: "P1D",
  checkItems: ["Pain level 1-10", "Can bend forward"],
};
const ALL_OF_2026 = { startDate: "2026-01-01", endDate: "2026-12-31", timezone: "UTC", limit: 100 };

let harness: ManagerHarness;
let userCount = 0;

beforeAll(async () => {
  harness = await startManager();
  harness.setNow(NOW);
});
afterAll(() => harness.close());

function newUser(): Promise<Client> {
  return harness.clientFor(`obs-user-${++userCount}`);
}

const add = (client: Client, args: Record<string, unknown> = {}) => callOk<Observation>(client, "AddObservation", { ...BACK_PAIN, ...args });
const get = (client: Client, observationId: string) => callOk<Observation>(client, "GetObservation", { observationId });
const inProgress = (client: Client, args: Record<string, unknown> = { limit: 100 }) => callOk<ObservationList>(client, "GetObservationsInProgress", args);
const inRange = (client: Client, args: Record<string, unknown> = ALL_OF_2026) => callOk<ObservationList>(client, "GetObservationsInRange", args);

/** What the user can see, to prove a failed call changed nothing. */
async function snapshot(client: Client) {
  return { inProgress: await inProgress(client), all: await inRange(client) };
}

function expectNoInternals(record: object): void {
  expect(record).not.toHaveProperty("userId");
  expect(Object.keys(record).filter((key) => key.endsWith("Key"))).toEqual([]);
}

async function storedItem(sub: string, observationId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await harness.dynamo.db.send(new GetCommand({ TableName: harness.dynamo.tables.observations, Key: { userId: sub, observationId } }));
  return Item;
}

describe("AddObservation / GetObservation", () => {
  test("creates an IN_PROGRESS observation with a server id and no progress; GetObservation returns it", async () => {
    const client = await newUser();
    const observation = await add(client);
    expect(observation).toEqual({
      ...BACK_PAIN,
      observationId: expect.stringMatching(UUID_RE),
      status: "IN_PROGRESS",
      progressLogs: [],
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
    expectNoInternals(observation);
    expect(await get(client, observation.observationId)).toEqual(observation);
  });

  test("two observations starting the same day get distinct ids (the original's counters could collide)", async () => {
    const client = await newUser();
    const [first, second] = await Promise.all([add(client), add(client)]);
    expect(first?.observationId).not.toBe(second?.observationId);
    expect((await inProgress(client)).count).toBe(2);
  });

  test.each(["P1D", "PT8H", "P1W", "P1DT12H", "P1M", "PT30M"])("accepts frequency %s", async (frequency) => {
    const client = await newUser();
    expect((await add(client, { frequency })).frequency).toBe(frequency);
  });

  test.each([
    [{ title: undefined }, /title/],
    [{ title: "   " }, /title must not be empty or blank: send 1-200 characters/],
    [{ title: "x".repeat(201) }, /title is too long: 1-200 characters allowed, got 201/],
    [{ description: "x".repeat(2001) }, /description is too long: 1-2000 characters allowed, got 2001/],
    [{ priority: 0 }, /priority must be a whole number from 1 to 5, got 0/],
    [{ priority: 6 }, /priority must be a whole number from 1 to 5, got 6/],
    [{ priority: 2.5 }, /priority must be a whole number from 1 to 5, got 2.5/],
    [{ priority: "3" }, /priority must be a whole number from 1 to 5, got "3"/],
    [{ startDatetime: "2026-06-15T09:00:00" }, /startDatetime: expected an ISO-8601 date-time with offset/],
    [{ targetDatetime: "2026-06-18" }, /targetDatetime: expected an ISO-8601 date-time with offset/],
    [{ targetDatetime: BACK_PAIN.startDatetime }, /targetDatetime .* must be after startDatetime/],
    // Later text, earlier instant: 10:00+09:00 is 01:00Z, before the 02:00Z start.
    [{ startDatetime: "2026-06-15T02:00:00Z", targetDatetime: "2026-06-15T10:00:00+09:00" }, /targetDatetime 2026-06-15T10:00:00\+09:00 must be after startDatetime/],
    [{ frequency: "daily" }, /frequency must be an ISO-8601 duration .* P1D .* got "daily"/],
    [{ frequency: "P" }, /frequency must be an ISO-8601 duration/],
    [{ frequency: "PT" }, /frequency must be an ISO-8601 duration/],
    [{ frequency: "P0D" }, /frequency must be an ISO-8601 duration/],
    [{ frequency: "P1.5D" }, /whole numbers/],
    [{ frequency: 1 }, /frequency must be text such as P1D, got 1/],
    [{ frequency: "P1" + "0".repeat(40) + "D" }, /frequency must be at most 32 characters/],
    [{ checkItems: [] }, /checkItems must hold 1-20 items; send at least one/],
    [{ checkItems: Array.from({ length: 21 }, (_, index) => `item ${index}`) }, /checkItems must hold 1-20 items, got 21/],
    [{ checkItems: [""] }, /checkItems\.0: checkItems item must not be empty or blank/],
    [{ checkItems: ["x".repeat(201)] }, /checkItems item is too long: 1-200 characters allowed, got 201/],
    [{ status: "COMPLETED" }, /unknown argument 'status'/],
    [{ userId: "someone-else" }, /unknown argument 'userId'.*signed-in user/],
  ])("rejects %j and changes nothing", async (overrides, message) => {
    const client = await newUser();
    await add(client);
    const before = await snapshot(client);
    const args: Record<string, unknown> = { ...BACK_PAIN, ...overrides };
    for (const key of Object.keys(args)) if (args[key] === undefined) delete args[key];
    expect(await callError(client, "AddObservation", args)).toMatch(message);
    expect(await snapshot(client)).toEqual(before);
  });

  test("GetObservation: unknown or malformed id", async () => {
    const client = await newUser();
    expect(await callError(client, "GetObservation", { observationId: UNKNOWN_ID })).toMatch(
      new RegExp(`Observation '${UNKNOWN_ID}' was not found for this user.*GetObservationsInProgress`),
    );
    expect(await callError(client, "GetObservation", { observationId: "OBS#2025-12-28-001" })).toMatch(/observationId must be the id returned when it was created/);
  });
});

describe("GetObservationsInRange", () => {
  test("selects by start date in the time zone, any status, by start ascending", async () => {
    const client = await newUser();
    // 2026-06-10 in Asia/Tokyo is [2026-06-09T15:00Z, 2026-06-10T15:00Z).
    const before = await add(client, { startDatetime: "2026-06-09T14:59:59Z", targetDatetime: "2026-06-20T00:00:00Z" });
    const late = await add(client, { startDatetime: "2026-06-10T14:00:00Z", targetDatetime: "2026-06-20T00:00:00Z" });
    const early = await add(client, { startDatetime: "2026-06-10T00:00:00+09:00", targetDatetime: "2026-06-20T00:00:00Z" });
    const after = await add(client, { startDatetime: "2026-06-10T15:00:00Z", targetDatetime: "2026-06-20T00:00:00Z" });
    const completed = await callOk<Observation>(client, "CompleteObservation", { observationId: late.observationId, conclusion: "Gone." });
    const tokyo = await inRange(client, { startDate: "2026-06-10", endDate: "2026-06-10", timezone: "Asia/Tokyo" });
    expect(tokyo).toEqual({ observations: [early, completed], count: 2, dateRange: { startDate: "2026-06-10", endDate: "2026-06-10", timezone: "Asia/Tokyo" } });
    expect((await inRange(client, { startDate: "2026-06-09", endDate: "2026-06-10", timezone: "UTC" })).observations).toEqual([before, early, completed, after]);
  });

  test("without a timezone argument the profile's zone is used, else UTC", async () => {
    const client = await newUser();
    const observation = await add(client, { startDatetime: "2026-06-11T02:00:00Z" }); // 2026-06-10 22:00 in New York
    const range = { startDate: "2026-06-10", endDate: "2026-06-10" };
    expect(await inRange(client, range)).toEqual({ observations: [], count: 0, dateRange: { ...range, timezone: "UTC" } });
    await callOk(client, "AddUser", { username: "Tz", timezone: "America/New_York" });
    expect(await inRange(client, range)).toEqual({ observations: [observation], count: 1, dateRange: { ...range, timezone: "America/New_York" } });
  });

  test("pages past one page: every observation once, in start order", async () => {
    const client = await newUser();
    const added: Observation[] = [];
    for (const day of [5, 1, 4, 2, 3]) added.push(await add(client, { startDatetime: `2026-06-0${day}T08:00:00Z` }));
    const expected = [...added].sort((a, b) => a.startDatetime.localeCompare(b.startDatetime));
    const seen: Observation[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await inRange(client, { ...ALL_OF_2026, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.observations.length).toBeLessThanOrEqual(2);
      seen.push(...page.observations);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);
  });

  test.each([
    [{ startDate: "2026-06-10", endDate: "2026-06-09" }, /startDate 2026-06-10 is after endDate 2026-06-09/],
    [{ startDate: "2025-06-01", endDate: "2026-06-01" }, /366 days; at most 365/],
    [{ startDate: "2026-13-01", endDate: "2026-12-31" }, /startDate: expected a date as YYYY-MM-DD, got "2026-13-01"/],
    [{ startDate: "2026-06-01" }, /endDate/],
    [{ startDate: "2026-06-01", endDate: "2026-06-09", limit: 0 }, /limit/],
    [{ startDate: "2026-06-01", endDate: "2026-06-09", timezone: "Nowhere/City" }, /unknown time zone/],
    [{ startDate: "2026-06-01", endDate: "2026-06-09", cursor: "garbage" }, /cursor is not valid/],
  ])("rejects %j", async (args, message) => {
    const client = await newUser();
    expect(await callError(client, "GetObservationsInRange", args)).toMatch(message);
  });

  test("a cursor from another range or from the in-progress list is refused", async () => {
    const client = await newUser();
    for (const day of [1, 2]) await add(client, { startDatetime: `2026-06-0${day}T08:00:00Z` });
    const page = await inRange(client, { startDate: "2026-06-01", endDate: "2026-06-02", timezone: "UTC", limit: 1 });
    expect(await callError(client, "GetObservationsInRange", { startDate: "2026-07-01", endDate: "2026-07-02", timezone: "UTC", cursor: page.nextCursor })).toMatch(
      /cursor belongs to a different date range/,
    );
    const progressPage = await inProgress(client, { limit: 1 });
    expect(await callError(client, "GetObservationsInRange", { ...ALL_OF_2026, cursor: progressPage.nextCursor })).toMatch(/cursor is not valid/);
  });
});

describe("GetObservationsInProgress", () => {
  test("lists only open observations by start ascending and pages past one page", async () => {
    const client = await newUser();
    const added: Observation[] = [];
    for (const day of [6, 2, 5, 1, 4, 3]) added.push(await add(client, { startDatetime: `2026-06-0${day}T08:00:00Z` }));
    const [six, two] = added as [Observation, Observation];
    await callOk(client, "CompleteObservation", { observationId: six.observationId, conclusion: "Resolved." });
    await callOk(client, "CancelObservation", { observationId: two.observationId, conclusion: "Not needed." });
    const open = added.filter((observation) => ![six, two].includes(observation)).sort((a, b) => a.startDatetime.localeCompare(b.startDatetime));
    const seen: Observation[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await inProgress(client, { limit: 3, ...(cursor ? { cursor } : {}) });
      expect(page.count).toBe(page.observations.length);
      seen.push(...page.observations);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual(open);
    expect(seen.every((observation) => observation.status === "IN_PROGRESS" && observation.conclusion === undefined)).toBe(true);
  });

  test("default page size is 20 and limit is bounded", async () => {
    const client = await newUser();
    for (let index = 0; index < 21; index++) await add(client);
    const first = await inProgress(client, {});
    expect(first.count).toBe(20);
    expect((await inProgress(client, { cursor: first.nextCursor })).count).toBe(1);
    expect(await callError(client, "GetObservationsInProgress", { limit: 101 })).toMatch(/limit/);
  });
});

describe("UpdateObservation", () => {
  test("changes only the fields sent", async () => {
    const client = await newUser();
    const observation = await add(client);
    harness.setNow(new Date("2026-06-15T13:00:00.000Z"));
    try {
      const updated = await callOk<Observation>(client, "UpdateObservation", {
        observationId: observation.observationId,
        priority: 5,
        targetDatetime: "2026-06-20T09:00:00+09:00",
        checkItems: ["Pain level 1-10"],
      });
      expect(updated).toEqual({
        ...observation,
        priority: 5,
        targetDatetime: "2026-06-20T09:00:00+09:00",
        checkItems: ["Pain level 1-10"],
        updatedAt: "2026-06-15T13:00:00.000Z",
      });
      expectNoInternals(updated);
      const retitled = await callOk<Observation>(client, "UpdateObservation", { observationId: observation.observationId, title: "Lower back", description: "New text", frequency: "PT12H" });
      expect(retitled).toEqual({ ...updated, title: "Lower back", description: "New text", frequency: "PT12H" });
      expect(await get(client, observation.observationId)).toEqual(retitled);
    } finally {
      harness.setNow(NOW);
    }
  });

  test.each([
    [{}, /at least one of title, description, priority, targetDatetime, frequency, checkItems/],
    [{ targetDatetime: BACK_PAIN.startDatetime }, /targetDatetime 2026-06-15T09:00:00\+09:00 must be after the observation's startDatetime 2026-06-15T09:00:00\+09:00/],
    [{ targetDatetime: "2026-06-14T23:00:00Z" }, /must be after the observation's startDatetime/],
    [{ targetDatetime: "2026-06-15T00:00:00Z", title: "also sent" }, /must be after the observation's startDatetime/],
    [{ targetDatetime: "tomorrow" }, /targetDatetime: expected an ISO-8601 date-time/],
    [{ priority: 9 }, /priority must be a whole number from 1 to 5, got 9/],
    [{ title: "" }, /title must not be empty/],
    [{ description: "x".repeat(2001) }, /description is too long: 1-2000 characters allowed/],
    [{ frequency: "weekly" }, /frequency must be an ISO-8601 duration/],
    [{ checkItems: [] }, /checkItems must hold 1-20 items/],
    [{ status: "COMPLETED" }, /unknown argument 'status'/],
    [{ startDatetime: "2026-06-01T00:00:00Z" }, /unknown argument 'startDatetime'/],
    [{ progressLogs: [] }, /unknown argument 'progressLogs'/],
    [{ title: null }, /title must be text/],
  ])("rejects %j and changes nothing", async (args, message) => {
    const client = await newUser();
    const observation = await add(client);
    expect(await callError(client, "UpdateObservation", { observationId: observation.observationId, ...args })).toMatch(message);
    expect(await get(client, observation.observationId)).toEqual(observation);
  });

  test("unknown id is not found, also when targetDatetime is sent", async () => {
    const client = await newUser();
    expect(await callError(client, "UpdateObservation", { observationId: UNKNOWN_ID, title: "x" })).toMatch(/was not found for this user/);
    expect(await callError(client, "UpdateObservation", { observationId: UNKNOWN_ID, targetDatetime: "2030-01-01T00:00:00Z" })).toMatch(/was not found for this user/);
    expect((await inRange(client)).count).toBe(0);
  });
});

describe("AddObservationProgress", () => {
  test("appends a log with the server time and returns it", async () => {
    const client = await newUser();
    const observation = await add(client);
    const result = await callOk<Observation & { addedProgressLog: ProgressLog }>(client, "AddObservationProgress", {
      observationId: observation.observationId,
      date: "2026-06-15",
      note: "Pain 6/10",
    });
    const log = { date: "2026-06-15", note: "Pain 6/10", recordedAt: NOW.toISOString() };
    expect(result).toEqual({ ...observation, progressLogs: [log], addedProgressLog: log });
    expectNoInternals(result);
    await callOk(client, "AddObservationProgress", { observationId: observation.observationId, date: "2026-06-16", note: "Pain 4/10" });
    expect((await get(client, observation.observationId)).progressLogs.map((entry) => entry.note)).toEqual(["Pain 6/10", "Pain 4/10"]);
  });

  test("concurrent adds all land", async () => {
    const client = await newUser();
    const other = await harness.clientFor(`obs-user-${userCount}`); // same user, second connection
    const observation = await add(client);
    const notes = Array.from({ length: 12 }, (_, index) => `note ${index}`);
    await Promise.all(
      notes.map((note, index) => callOk(index % 2 ? client : other, "AddObservationProgress", { observationId: observation.observationId, date: "2026-06-15", note })),
    );
    const logs = (await get(client, observation.observationId)).progressLogs;
    expect(logs).toHaveLength(notes.length);
    expect(logs.map((entry) => entry.note).sort()).toEqual([...notes].sort());
  });

  test.each([
    [{ date: "2026-06-31" }, /date: expected a date as YYYY-MM-DD, got "2026-06-31"/],
    [{ date: "15/06/2026" }, /date: expected a date as YYYY-MM-DD/],
    [{ note: "" }, /note must not be empty or blank: send 1-500 characters/],
    [{ note: "x".repeat(501) }, /note is too long: 1-500 characters allowed, got 501/],
    [{ note: undefined }, /note/],
    [{ recordedAt: "2026-01-01T00:00:00Z" }, /unknown argument 'recordedAt'/],
  ])("rejects %j and changes nothing", async (overrides, message) => {
    const client = await newUser();
    const observation = await add(client);
    const args: Record<string, unknown> = { observationId: observation.observationId, date: "2026-06-15", note: "ok", ...overrides };
    for (const key of Object.keys(args)) if (args[key] === undefined) delete args[key];
    expect(await callError(client, "AddObservationProgress", args)).toMatch(message);
    expect(await get(client, observation.observationId)).toEqual(observation);
  });

  test("only while IN_PROGRESS (the original allowed logs on concluded observations)", async () => {
    const client = await newUser();
    for (const [tool, status] of [
      ["CompleteObservation", "COMPLETED"],
      ["CancelObservation", "CANCELLED"],
    ] as const) {
      const observation = await add(client);
      const concluded = await callOk<Observation>(client, tool, { observationId: observation.observationId, conclusion: "Done." });
      expect(await callError(client, "AddObservationProgress", { observationId: observation.observationId, date: "2026-06-15", note: "late" })).toMatch(
        new RegExp(`already ${status}; only IN_PROGRESS observations can get progress logs`),
      );
      expect(await get(client, observation.observationId)).toEqual(concluded);
    }
  });

  test("at most 200 logs per observation", async () => {
    const client = await newUser();
    const observation = await add(client);
    const logs = Array.from({ length: 200 }, (_, index) => ({ date: "2026-06-15", note: `n${index}`, recordedAt: NOW.toISOString() }));
    await harness.dynamo.db.send(
      new UpdateCommand({
        TableName: harness.dynamo.tables.observations,
        Key: { userId: `obs-user-${userCount}`, observationId: observation.observationId },
        UpdateExpression: "SET progressLogs = :logs",
        ExpressionAttributeValues: { ":logs": logs },
      }),
    );
    const before = await get(client, observation.observationId);
    expect(await callError(client, "AddObservationProgress", { observationId: observation.observationId, date: "2026-06-15", note: "one more" })).toMatch(
      /already has 200 progress logs, the maximum.*CompleteObservation/,
    );
    expect(await get(client, observation.observationId)).toEqual(before);
  });

  test("unknown id is not found", async () => {
    const client = await newUser();
    expect(await callError(client, "AddObservationProgress", { observationId: UNKNOWN_ID, date: "2026-06-15", note: "x" })).toMatch(/was not found for this user/);
  });
});

describe("CompleteObservation / CancelObservation", () => {
  test.each([
    ["CompleteObservation", "COMPLETED"],
    ["CancelObservation", "CANCELLED"],
  ] as const)("%s concludes once, records the conclusion and leaves the in-progress index", async (tool, status) => {
    const client = await newUser();
    const observation = await add(client);
    const concluded = await callOk<Observation>(client, tool, { observationId: observation.observationId, conclusion: "Pain gone after stretching." });
    expect(concluded).toEqual({ ...observation, status, conclusion: "Pain gone after stretching." });
    expectNoInternals(concluded);
    expect((await inProgress(client)).observations).toEqual([]);
    expect(await storedItem(`obs-user-${userCount}`, observation.observationId)).not.toHaveProperty("inProgressKey");

    for (const again of ["CompleteObservation", "CancelObservation"]) {
      expect(await callError(client, again, { observationId: observation.observationId, conclusion: "again" })).toMatch(
        new RegExp(`Observation '${observation.observationId}' is already ${status}; only IN_PROGRESS observations can be completed or cancelled`),
      );
    }
    expect(await get(client, observation.observationId)).toEqual(concluded);
    // Concluded observations can still be edited, as in the original.
    expect((await callOk<Observation>(client, "UpdateObservation", { observationId: observation.observationId, priority: 1 })).status).toBe(status);
  });

  test("racing Complete and Cancel: exactly one wins", async () => {
    const client = await newUser();
    const observation = await add(client);
    const results = await Promise.all(
      ["CompleteObservation", "CancelObservation"].map((name) => client.callTool({ name, arguments: { observationId: observation.observationId, conclusion: name } })),
    );
    expect(results.filter((result) => !result.isError)).toHaveLength(1);
    const stored = await get(client, observation.observationId);
    expect(stored.conclusion).toBe(stored.status === "COMPLETED" ? "CompleteObservation" : "CancelObservation");
  });

  test.each([
    [{}, /conclusion/],
    [{ conclusion: " " }, /conclusion must not be empty or blank: send 1-2000 characters/],
    [{ conclusion: "x".repeat(2001) }, /conclusion is too long: 1-2000 characters allowed, got 2001/],
    [{ conclusion: "ok", status: "COMPLETED" }, /unknown argument 'status'/],
  ])("reject %j and change nothing", async (args, message) => {
    const client = await newUser();
    const observation = await add(client);
    for (const tool of ["CompleteObservation", "CancelObservation"]) {
      expect(await callError(client, tool, { observationId: observation.observationId, ...args })).toMatch(message);
    }
    expect(await get(client, observation.observationId)).toEqual(observation);
    expect((await inProgress(client)).count).toBe(1);
  });

  test("unknown id is not found", async () => {
    const client = await newUser();
    for (const tool of ["CompleteObservation", "CancelObservation"]) {
      expect(await callError(client, tool, { observationId: UNKNOWN_ID, conclusion: "x" })).toMatch(/was not found for this user/);
    }
  });
});

describe("isolation", () => {
  test("another user who knows the ids can neither read nor change the observations", async () => {
    const owner = await newUser();
    const intruder = await harness.clientFor("obs-intruder");
    const observation = await add(owner);
    await add(owner, { startDatetime: "2026-06-16T08:00:00Z", targetDatetime: "2026-06-20T08:00:00Z" });
    const before = await snapshot(owner);
    const id = observation.observationId;
    const notFound = /was not found for this user/;

    expect(await callError(intruder, "GetObservation", { observationId: id })).toMatch(notFound);
    expect(await callError(intruder, "UpdateObservation", { observationId: id, title: "hijacked" })).toMatch(notFound);
    expect(await callError(intruder, "UpdateObservation", { observationId: id, targetDatetime: "2030-01-01T00:00:00Z" })).toMatch(notFound);
    expect(await callError(intruder, "AddObservationProgress", { observationId: id, date: "2026-06-15", note: "x" })).toMatch(notFound);
    expect(await callError(intruder, "CompleteObservation", { observationId: id, conclusion: "x" })).toMatch(notFound);
    expect(await callError(intruder, "CancelObservation", { observationId: id, conclusion: "x" })).toMatch(notFound);
    expect((await inProgress(intruder)).observations).toEqual([]);
    expect((await inRange(intruder)).observations).toEqual([]);
    const ownerPage = await inProgress(owner, { limit: 1 });
    expect(await callError(intruder, "GetObservationsInProgress", { cursor: ownerPage.nextCursor })).toMatch(/cursor is not valid/);

    expect(await snapshot(owner)).toEqual(before);
  });
});

describe("tool listing", () => {
  test("every field of every observation tool is described; annotations match the tool's nature", async () => {
    const client = await newUser();
    const { tools } = await client.listTools();
    const expected: Record<string, { readOnlyHint: boolean; destructiveHint: boolean }> = {
      AddObservation: { readOnlyHint: false, destructiveHint: false },
      GetObservation: { readOnlyHint: true, destructiveHint: false },
      GetObservationsInRange: { readOnlyHint: true, destructiveHint: false },
      GetObservationsInProgress: { readOnlyHint: true, destructiveHint: false },
      UpdateObservation: { readOnlyHint: false, destructiveHint: false },
      AddObservationProgress: { readOnlyHint: false, destructiveHint: false },
      CompleteObservation: { readOnlyHint: false, destructiveHint: false },
      CancelObservation: { readOnlyHint: false, destructiveHint: false },
    };
    expectToolsListed(tools, expected);
  });
});
