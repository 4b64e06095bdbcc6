import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callError, callOk, startManager, type ManagerHarness } from "../support/manager";
import { expectToolsListed } from "../support/schema";

interface Journal {
  date: string;
  content: string;
  moodScore?: number;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}
interface AddResult {
  action: "created" | "appended";
  journal: Journal;
}
interface RangeResult {
  journals: Journal[];
  count: number;
  dateRange: { startDate: string; endDate: string; days: number };
  nextCursor?: string;
}

// 20:00 UTC on 1 March: already 2 March in Tokyo (UTC+9), still 1 March in Los Angeles (UTC-8).
const NOW = new Date("2026-03-01T20:00:00Z");

let harness: ManagerHarness;
let alice: Client;
let other: Client;

beforeAll(async () => {
  harness = await startManager();
  harness.setNow(NOW);
  [alice, other] = await Promise.all([harness.clientFor("alice-journal"), harness.clientFor("other-sub")]);
});
afterAll(() => harness.close());

const addJournal = (client: Client, args: Record<string, unknown>) => callOk<AddResult>(client, "AddJournal", args);
const getJournal = async (client: Client, date: string) => (await callOk<{ journal: Journal }>(client, "GetJournal", { date })).journal;

/** No output may carry the user id (neither the attribute nor the token's sub). */
function expectNoUserId(value: unknown): void {
  const text = JSON.stringify(value);
  expect(text).not.toMatch(/userId/);
  expect(text).not.toMatch(/alice-journal|other-sub/);
}

describe("AddJournal", () => {
  const DATE = "2026-02-10";

  test("creates the day's entry, then appends with a blank line", async () => {
    const created = await addJournal(alice, { date: DATE, content: "Slept well.", moodScore: 4, tags: ["GoodSleep", "Morning"] });
    expectNoUserId(created);
    expect(created).toEqual({
      action: "created",
      journal: { date: DATE, content: "Slept well.", moodScore: 4, tags: ["GoodSleep", "Morning"], createdAt: NOW.toISOString(), updatedAt: NOW.toISOString() },
    });

    const later = new Date(NOW.getTime() + 3600_000);
    harness.setNow(later);
    try {
      const appended = await addJournal(alice, { date: DATE, content: "  Long walk in the afternoon.  ", tags: ["Walking", "GoodSleep"] });
      expect(appended.action).toBe("appended");
      expect(appended.journal).toEqual({
        date: DATE,
        content: "Slept well.\n\nLong walk in the afternoon.",
        moodScore: 4, // kept: not sent
        tags: ["GoodSleep", "Morning", "Walking"], // merged, duplicates dropped
        createdAt: NOW.toISOString(),
        updatedAt: later.toISOString(),
      });
      expect(await getJournal(alice, DATE)).toEqual(appended.journal);
    } finally {
      harness.setNow(NOW);
    }

    const moodChanged = await addJournal(alice, { date: DATE, content: "Headache at night.", moodScore: 2 });
    expect(moodChanged.journal).toMatchObject({ content: "Slept well.\n\nLong walk in the afternoon.\n\nHeadache at night.", moodScore: 2, tags: ["GoodSleep", "Morning", "Walking"] });
  });

  test("an entry without mood or tags has no moodScore and empty tags", async () => {
    const created = await addJournal(alice, { date: "2026-02-11", content: "Quiet day." });
    expect(created.journal).toEqual({ date: "2026-02-11", content: "Quiet day.", tags: [], createdAt: NOW.toISOString(), updatedAt: NOW.toISOString() });
    expect(created.journal).not.toHaveProperty("moodScore");
  });

  test("concurrent AddJournal calls on one day all land", async () => {
    const date = "2026-02-12";
    const parts = Array.from({ length: 10 }, (_, index) => `part ${index}`);
    await Promise.all(parts.map((content) => addJournal(alice, { date, content })));
    const journal = await getJournal(alice, date);
    const stored = journal.content.split("\n\n");
    expect(stored).toHaveLength(10);
    expect(new Set(stored)).toEqual(new Set(parts));
  });

  test("an AddJournal racing an UpdateJournal never writes the old text back over the replacement", async () => {
    for (let round = 0; round < 5; round++) {
      const date = `2026-02-0${round + 1}`;
      await addJournal(alice, { date, content: "original" });
      // Fire the update while additions are still reading and retrying.
      const additions = Array.from({ length: 8 }, (_, index) => addJournal(alice, { date, content: `addition ${index}` }));
      await Promise.race(additions);
      await Promise.all([callOk(alice, "UpdateJournal", { date, content: "rewritten" }), ...additions]);
      const [first, ...rest] = (await getJournal(alice, date)).content.split("\n\n");
      // The update replaced everything written before it; what follows are additions made after it.
      expect(first).toBe("rewritten");
      expect(new Set(rest).size).toBe(rest.length);
      for (const part of rest) expect(part).toMatch(/^addition [0-7]$/);
    }
  });
});

describe("an entry stored without a version (e.g. imported)", () => {
  test("can be appended to and updated", async () => {
    const date = "2026-02-14";
    await harness.dynamo.db.send(
      new PutCommand({
        TableName: harness.dynamo.tables.journals,
        Item: { userId: "alice-journal", date, content: "Imported.", tags: ["Old"], createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-01-01T00:00:00.000Z" },
      }),
    );
    expect((await addJournal(alice, { date, content: "Added.", tags: ["New"] })).journal).toMatchObject({ content: "Imported.\n\nAdded.", tags: ["Old", "New"], createdAt: "2025-01-01T00:00:00.000Z" });
    expect((await callOk<{ journal: Journal }>(alice, "UpdateJournal", { date, moodScore: 4 })).journal).toMatchObject({ content: "Imported.\n\nAdded.", moodScore: 4 });
    expect((await addJournal(alice, { date, content: "Again." })).journal.content).toBe("Imported.\n\nAdded.\n\nAgain.");
  });
});

describe("today is the user's date, not the server's", () => {
  test("timezone argument decides the default date", async () => {
    const tokyo = await addJournal(alice, { content: "Tokyo morning", timezone: "Asia/Tokyo" });
    expect(tokyo.journal.date).toBe("2026-03-02");
    const losAngeles = await addJournal(alice, { content: "LA noon", timezone: "America/Los_Angeles" });
    expect(losAngeles.journal.date).toBe("2026-03-01");
  });

  test("without timezone the profile's time zone is used, else UTC", async () => {
    const kenji = await harness.clientFor("kenji-journal");
    expect((await addJournal(kenji, { content: "no profile yet" })).journal.date).toBe("2026-03-01");
    await callOk(kenji, "AddUser", { username: "Kenji", timezone: "Asia/Tokyo" });
    expect((await addJournal(kenji, { content: "profile says Tokyo" })).journal.date).toBe("2026-03-02");
    // An explicit timezone wins over the profile's.
    expect((await addJournal(kenji, { content: "travelling", timezone: "America/Los_Angeles" })).journal.date).toBe("2026-03-01");
    // The future check uses the profile's zone too: 2 March is today in Tokyo.
    expect((await addJournal(kenji, { date: "2026-03-02", content: "explicit today" })).action).toBe("appended");
    expect(await callError(kenji, "AddJournal", { date: "2026-03-03", content: "tomorrow" })).toMatch(/2026-03-03 is in the future: today is 2026-03-02 in Asia\/Tokyo/);
  });

  test("a date after the user's today is refused and nothing is written", async () => {
    expect(await callError(alice, "AddJournal", { date: "2026-03-02", content: "too early", timezone: "America/Los_Angeles" })).toMatch(
      /date 2026-03-02 is in the future: today is 2026-03-01 in America\/Los_Angeles/,
    );
    expect(await callError(alice, "AddJournal", { date: "2026-03-03", content: "too early", timezone: "Asia/Tokyo" })).toMatch(/today is 2026-03-02 in Asia\/Tokyo/);
    // alice has no profile: UTC decides.
    expect(await callError(alice, "AddJournal", { date: "2026-03-02", content: "too early" })).toMatch(/today is 2026-03-01 in UTC/);
    expect(await callError(alice, "GetJournal", { date: "2026-03-03" })).toMatch(/No journal entry exists for 2026-03-03/);
    expect((await getJournal(alice, "2026-03-02")).content).toBe("Tokyo morning");
  });
});

describe("validation changes nothing", () => {
  const DATE = "2026-02-15";
  let snapshot: Journal;

  beforeAll(async () => {
    snapshot = (await addJournal(alice, { date: DATE, content: "Base entry.", moodScore: 3, tags: ["Base"] })).journal;
  });

  const elevenTags = Array.from({ length: 11 }, (_, index) => `Tag${index}`);
  test.each([
    ["empty content", { content: "" }, /content must not be empty or blank: send 1-10000 characters/],
    ["blank content", { content: "  \n " }, /content must not be empty or blank/],
    ["content over 10 000 characters", { content: "x".repeat(10_001) }, /content is too long: 1-10000 characters allowed, got 10001; split it/],
    ["missing content", { content: undefined }, /content/],
    ["moodScore 0", { moodScore: 0 }, /moodScore must be a whole number from 1 to 5, got 0/],
    ["moodScore 6", { moodScore: 6 }, /moodScore must be a whole number from 1 to 5, got 6/],
    ["fractional moodScore", { moodScore: 2.5 }, /moodScore must be a whole number from 1 to 5, got 2.5/],
    ["moodScore as text", { moodScore: "4" }, /moodScore must be a whole number from 1 to 5, got "4"/],
    ["11 tags", { tags: elevenTags }, /at most 10 tags are allowed, got 11/],
    ["camelCase tag", { tags: ["goodSleep"] }, /PascalCase.*got "goodSleep"/],
    ["tag with a space", { tags: ["Good Sleep"] }, /PascalCase.*got "Good Sleep"/],
    ["empty tag", { tags: [""] }, /PascalCase.*got ""/],
    ["tag too long", { tags: [`A${"b".repeat(50)}`] }, /tag may be at most 50 characters, got 51/],
    ["impossible date", { date: "2026-02-29" }, /YYYY-MM-DD.*2026-02-29/],
    ["unknown time zone", { date: undefined, timezone: "Mars/Olympus" }, /unknown time zone "Mars\/Olympus".*IANA/],
    ["userId argument", { userId: "alice-journal" }, /unknown argument 'userId'.*signed-in user/],
  ])("AddJournal rejects %s", async (_name, args, message) => {
    const call = Object.fromEntries(Object.entries({ date: DATE, content: "should not land", ...args }).filter(([, value]) => value !== undefined));
    expect(await callError(alice, "AddJournal", call)).toMatch(message);
    expect(await getJournal(alice, DATE)).toEqual(snapshot);
  });

  test("tags merged past 10 are refused", async () => {
    const tags = Array.from({ length: 10 }, (_, index) => `New${index}`);
    expect(await callError(alice, "AddJournal", { date: DATE, content: "more", tags })).toMatch(/already has tags Base; adding .* would make 11, but at most 10.*UpdateJournal/);
    expect(await getJournal(alice, DATE)).toEqual(snapshot);
  });

  test("a day's entry holds at most 100 000 characters", async () => {
    const date = "2026-02-16";
    for (let index = 0; index < 9; index++) await addJournal(alice, { date, content: `${index}`.repeat(10_000) });
    const before = await getJournal(alice, date);
    expect(before.content).toHaveLength(9 * 10_000 + 8 * 2);
    expect(await callError(alice, "AddJournal", { date, content: "x".repeat(10_000) })).toMatch(/would grow to 100018 characters; a day's entry holds at most 100000/);
    expect(await getJournal(alice, date)).toEqual(before);
    // What still fits is accepted.
    expect((await addJournal(alice, { date, content: "y".repeat(100_000 - before.content.length - 2) })).journal.content).toHaveLength(100_000);
  });

  test.each([
    ["no field to change", {}, /at least one of content, moodScore, tags/],
    ["blank content", { content: " " }, /content must not be empty or blank/],
    ["content over 100 000 characters", { content: "x".repeat(100_001) }, /content is too long: 1-100000 characters allowed, got 100001/],
    ["moodScore 9", { moodScore: 9 }, /moodScore must be a whole number from 1 to 5, got 9/],
    ["bad tag", { tags: ["lower"] }, /PascalCase.*"lower"/],
    ["11 tags", { tags: elevenTags }, /at most 10 tags/],
    ["bad date", { date: "15-02-2026" }, /YYYY-MM-DD/],
    ["userId argument", { userId: "x", content: "x" }, /unknown argument 'userId'/],
    ["timezone argument", { timezone: "UTC", content: "x" }, /unknown argument 'timezone'/],
  ])("UpdateJournal rejects %s", async (_name, args, message) => {
    expect(await callError(alice, "UpdateJournal", { date: DATE, ...args })).toMatch(message);
    expect(await getJournal(alice, DATE)).toEqual(snapshot);
  });

  test("GetJournal and DeleteJournal reject a bad date", async () => {
    expect(await callError(alice, "GetJournal", { date: "2026-2-15" })).toMatch(/YYYY-MM-DD/);
    expect(await callError(alice, "DeleteJournal", { date: "yesterday" })).toMatch(/YYYY-MM-DD.*"yesterday"/);
    expect(await getJournal(alice, DATE)).toEqual(snapshot);
  });
});

describe("GetJournal / UpdateJournal / DeleteJournal", () => {
  const DATE = "2026-02-20";

  beforeAll(async () => {
    await addJournal(alice, { date: DATE, content: "First draft.", moodScore: 2, tags: ["Draft", "Tired"] });
  });

  test("GetJournal of a day without entry is not found", async () => {
    expect(await callError(alice, "GetJournal", { date: "2026-02-21" })).toMatch(/No journal entry exists for 2026-02-21.*AddJournal/);
  });

  test("UpdateJournal changes only the fields sent and replaces content", async () => {
    const later = new Date(NOW.getTime() + 60_000);
    harness.setNow(later);
    try {
      const { journal } = await callOk<{ journal: Journal }>(alice, "UpdateJournal", { date: DATE, content: "Final text." });
      expectNoUserId(journal);
      expect(journal).toEqual({ date: DATE, content: "Final text.", moodScore: 2, tags: ["Draft", "Tired"], createdAt: NOW.toISOString(), updatedAt: later.toISOString() });
    } finally {
      harness.setNow(NOW);
    }
    const moodOnly = (await callOk<{ journal: Journal }>(alice, "UpdateJournal", { date: DATE, moodScore: 5 })).journal;
    expect(moodOnly).toMatchObject({ content: "Final text.", moodScore: 5, tags: ["Draft", "Tired"] });
    const tagsReplaced = (await callOk<{ journal: Journal }>(alice, "UpdateJournal", { date: DATE, tags: ["Relaxed", "Relaxed", "Sunny"] })).journal;
    expect(tagsReplaced.tags).toEqual(["Relaxed", "Sunny"]);
    const cleared = (await callOk<{ journal: Journal }>(alice, "UpdateJournal", { date: DATE, tags: [] })).journal;
    expect(cleared).toMatchObject({ content: "Final text.", moodScore: 5, tags: [] });
    expect(await getJournal(alice, DATE)).toEqual(cleared);
  });

  test("an AddJournal after UpdateJournal appends to the updated text", async () => {
    const { journal } = await addJournal(alice, { date: DATE, content: "Evening note." });
    expect(journal.content).toBe("Final text.\n\nEvening note.");
  });

  test("UpdateJournal of a day without entry is not found and creates nothing", async () => {
    expect(await callError(alice, "UpdateJournal", { date: "2026-02-22", content: "x" })).toMatch(/No journal entry exists for 2026-02-22/);
    expect(await callError(alice, "GetJournal", { date: "2026-02-22" })).toMatch(/No journal entry/);
  });

  test("DeleteJournal returns the deleted entry; a second delete is not found", async () => {
    const before = await getJournal(alice, DATE);
    const { deletedJournal } = await callOk<{ deletedJournal: Journal }>(alice, "DeleteJournal", { date: DATE });
    expectNoUserId(deletedJournal);
    expect(deletedJournal).toEqual(before);
    expect(await callError(alice, "GetJournal", { date: DATE })).toMatch(/No journal entry exists for 2026-02-20/);
    expect(await callError(alice, "DeleteJournal", { date: DATE })).toMatch(/No journal entry exists for 2026-02-20/);
    expect((await addJournal(alice, { date: DATE, content: "Fresh start." })).action).toBe("created");
  });
});

describe("GetJournalsInRange", () => {
  // 25 days in 2025-05 with one entry each; page size 10 → three pages.
  const dates = Array.from({ length: 25 }, (_, index) => `2025-05-${String(index + 1).padStart(2, "0")}`);
  beforeAll(async () => {
    for (const date of [...dates].reverse()) await addJournal(alice, { date, content: `Entry of ${date}`, moodScore: 3 });
    await addJournal(alice, { date: "2025-04-30", content: "before the range" });
    await addJournal(alice, { date: "2025-06-01", content: "after the range" });
  });

  test("walks every entry exactly once, oldest first, past one page", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page: RangeResult = await callOk<RangeResult>(alice, "GetJournalsInRange", { startDate: "2025-05-01", endDate: "2025-05-31", limit: 10, ...(cursor ? { cursor } : {}) });
      expectNoUserId(page);
      expect(page.dateRange).toEqual({ startDate: "2025-05-01", endDate: "2025-05-31", days: 31 });
      expect(page.count).toBe(page.journals.length);
      for (const journal of page.journals) expect(journal).toMatchObject({ content: `Entry of ${journal.date}`, moodScore: 3, tags: [] });
      seen.push(...page.journals.map((journal) => journal.date));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(dates);
  });

  test("default page size is 20; the range bounds are inclusive", async () => {
    const page = await callOk<RangeResult>(alice, "GetJournalsInRange", { startDate: "2025-04-30", endDate: "2025-06-01" });
    expect(page.journals.map((journal) => journal.date)).toEqual(["2025-04-30", ...dates.slice(0, 19)]);
    expect(page.nextCursor).toEqual(expect.any(String));
    const rest = await callOk<RangeResult>(alice, "GetJournalsInRange", { startDate: "2025-04-30", endDate: "2025-06-01", cursor: page.nextCursor });
    expect(rest.journals.map((journal) => journal.date)).toEqual([...dates.slice(19), "2025-06-01"]);
    expect(rest).not.toHaveProperty("nextCursor");
  });

  test("a range without entries is empty", async () => {
    expect(await callOk<RangeResult>(alice, "GetJournalsInRange", { startDate: "2024-01-01", endDate: "2024-01-31" })).toEqual({
      journals: [],
      count: 0,
      dateRange: { startDate: "2024-01-01", endDate: "2024-01-31", days: 31 },
    });
  });

  test.each([
    ["366 days", { startDate: "2024-01-01", endDate: "2024-12-31" }, /covers 366 days; at most 365/],
    ["start after end", { startDate: "2025-05-02", endDate: "2025-05-01" }, /startDate 2025-05-02 is after endDate 2025-05-01/],
    ["bad date", { startDate: "2025/05/01" }, /YYYY-MM-DD/],
    ["garbage cursor", { cursor: "%%%" }, /cursor is not valid/],
    ["limit 0", { limit: 0 }, /limit/],
  ])("rejects %s", async (_name, args, message) => {
    expect(await callError(alice, "GetJournalsInRange", { startDate: "2025-05-01", endDate: "2025-05-31", ...args })).toMatch(message);
  });

  test("365 days are allowed", async () => {
    const page = await callOk<RangeResult>(alice, "GetJournalsInRange", { startDate: "2025-01-01", endDate: "2025-12-31", limit: 100 });
    expect(page.dateRange.days).toBe(365);
    expect(page.count).toBe(27);
  });

  test("a cursor from another range is refused", async () => {
    const page = await callOk<RangeResult>(alice, "GetJournalsInRange", { startDate: "2025-05-01", endDate: "2025-05-31", limit: 10 });
    expect(await callError(alice, "GetJournalsInRange", { startDate: "2025-05-15", endDate: "2025-05-31", cursor: page.nextCursor })).toMatch(/different date range/);
  });
});

describe("another user", () => {
  const DATE = "2026-02-25";

  test("knowing the date can neither read nor change the entry", async () => {
    await addJournal(alice, { date: DATE, content: "Private thoughts.", moodScore: 1, tags: ["Private"] });
    const before = await getJournal(alice, DATE);

    expect(await callError(other, "GetJournal", { date: DATE })).toMatch(/No journal entry exists/);
    expect((await callOk<RangeResult>(other, "GetJournalsInRange", { startDate: DATE, endDate: DATE })).journals).toEqual([]);
    expect(await callError(other, "UpdateJournal", { date: DATE, content: "hacked" })).toMatch(/No journal entry exists/);
    expect(await callError(other, "DeleteJournal", { date: DATE })).toMatch(/No journal entry exists/);
    // Writing the same date starts the other user's own entry; it does not append to alice's.
    const own = await addJournal(other, { date: DATE, content: "Mine." });
    expect(own).toMatchObject({ action: "created", journal: { content: "Mine.", tags: [] } });
    // A cursor made for alice's partition cannot be replayed by someone else.
    const page = await callOk<RangeResult>(alice, "GetJournalsInRange", { startDate: "2025-05-01", endDate: "2025-05-31", limit: 1 });
    expect(await callError(other, "GetJournalsInRange", { startDate: "2025-05-01", endDate: "2025-05-31", cursor: page.nextCursor })).toMatch(/cursor is not valid/);

    expect(await getJournal(alice, DATE)).toEqual(before);
  });
});

describe("tool listing", () => {
  test("the five journal tools are listed with their annotations and a description on every field", async () => {
    const { tools } = await alice.listTools();
    const expected: Record<string, { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean }> = {
      AddJournal: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
      UpdateJournal: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      DeleteJournal: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      GetJournal: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      GetJournalsInRange: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    };
    expectToolsListed(tools, expected);
  });
});
