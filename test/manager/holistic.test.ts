import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callError, callOk, startManager, type ManagerHarness } from "../support/manager";

type Holistic = {
  timezone: string;
  today: string;
  profile: Record<string, unknown> | null;
  goals: { title: string; status: string }[];
  policies: { title: string; isActive: boolean }[];
  concerns: { description: string; status: string }[];
  bodyMeasurements: { latest: Record<string, { value: number }>; oldest: Record<string, { value: number }>; recent: { weight?: number }[] };
  activities: { date: string; count: number }[];
  observationsInProgress: { title: string }[];
  yesterdayJournal: { date: string; content: string } | null;
};

let harness: ManagerHarness;
let alice: Client;

// 2026-03-01T20:00Z is 2026-03-02 05:00 in Tokyo and 2026-03-01 12:00 in Los Angeles.
const NOW = new Date("2026-03-01T20:00:00Z");

beforeAll(async () => {
  harness = await startManager();
  harness.setNow(NOW);
  alice = await harness.clientFor("alice-holistic");
  await callOk(alice, "AddUser", { username: "Alice", timezone: "Asia/Tokyo" });
  const active = await callOk<{ goalId: string }>(alice, "AddGoal", { goalType: "weight", title: "Reach 60 kg" });
  const done = await callOk<{ goalId: string }>(alice, "AddGoal", { goalType: "fitness", title: "Run 5 km" });
  await callOk(alice, "UpdateGoal", { goalId: done.goalId, status: "achieved" });
  expect(active.goalId).toBeDefined();
  await callOk(alice, "AddPolicy", { policyType: "diet", title: "No sugar", description: "No sweets on weekdays" });
  await callOk(alice, "AddPolicy", { policyType: "sleep", title: "Old rule", description: "Bed by 22:00", isActive: false });
  await callOk(alice, "AddConcern", { category: ["PHYSICAL"], description: "Knee pain" });
  await callOk(alice, "AddConcern", { category: ["MENTAL"], description: "Stress at work", status: "IMPROVED" });
  await callOk(alice, "AddConcern", { category: ["PHYSICAL"], description: "Old cold", status: "RESOLVED" });
  await callOk(alice, "AddBodyMeasurement", { weight: 70, height: 165, measurement_time: "2025-01-01T08:00:00+09:00" });
  await callOk(alice, "AddBodyMeasurement", { weight: 64.5, measurement_time: "2026-03-01T07:00:00+09:00" });
  await callOk(alice, "AddBodyMeasurement", { weight: 66, measurement_time: "2026-02-20T07:00:00+09:00" });
  await callOk(alice, "AddActivities", { date: "2026-03-02", activities: [{ time: "04:30", activityType: "wakeUp", description: "Woke up", items: [] }] });
  await callOk(alice, "AddActivities", { date: "2026-02-25", activities: [{ time: "12:00", activityType: "meal", description: "Lunch", items: ["rice 150 g"] }] });
  await callOk(alice, "AddObservation", {
    title: "Knee after running",
    description: "Watch the knee for a week",
    priority: 3,
    startDatetime: "2026-02-28T00:00:00+09:00",
    targetDatetime: "2026-03-07T00:00:00+09:00",
    frequency: "P1D",
    checkItems: ["Pain 1-5"],
  });
  await callOk(alice, "AddJournal", { date: "2026-03-01", content: "Good day." });
  await callOk(alice, "AddJournal", { date: "2026-02-28", content: "Two days ago." });
});
afterAll(() => harness.close());

describe("GetUserHolisticData", () => {
  test("gathers every section in the profile's time zone", async () => {
    const data = await callOk<Holistic>(alice, "GetUserHolisticData");
    expect(data.timezone).toBe("Asia/Tokyo");
    expect(data.today).toBe("2026-03-02");
    expect(data.profile).toMatchObject({ username: "Alice" });
    expect(data.goals.map((goal) => goal.title)).toEqual(["Reach 60 kg"]);
    expect(data.policies.map((policy) => policy.title)).toEqual(["No sugar"]);
    expect(data.concerns.map((concern) => concern.description)).toEqual(["Stress at work", "Knee pain"]);
    expect(data.bodyMeasurements.latest.weight?.value).toBe(64.5);
    expect(data.bodyMeasurements.latest.height?.value).toBe(165);
    expect(data.bodyMeasurements.oldest.weight?.value).toBe(70);
    expect(data.bodyMeasurements.recent.map((measurement) => measurement.weight)).toEqual([64.5]);
    expect(data.activities.map((day) => day.date)).toEqual(["2026-03-02"]);
    expect(data.observationsInProgress.map((observation) => observation.title)).toEqual(["Knee after running"]);
    expect(data.yesterdayJournal).toMatchObject({ date: "2026-03-01", content: "Good day." });
  });

  test("another zone moves today, yesterday and the 3-day window", async () => {
    const data = await callOk<Holistic>(alice, "GetUserHolisticData", { timezone: "America/Los_Angeles" });
    expect(data.today).toBe("2026-03-01");
    expect(data.yesterdayJournal).toMatchObject({ date: "2026-02-28" });
    expect(data.activities).toEqual([]);
    // 2026-03-01 07:00 Tokyo is 2026-02-28 14:00 in Los Angeles: inside that zone's 02-27..03-01 window.
    expect(data.bodyMeasurements.recent.map((measurement) => measurement.weight)).toEqual([64.5]);
  });

  test("a user with no data gets empty sections, never another user's data", async () => {
    const bob = await harness.clientFor("bob-holistic");
    const data = await callOk<Holistic>(bob, "GetUserHolisticData");
    expect(data).toMatchObject({
      timezone: "UTC",
      profile: null,
      goals: [],
      policies: [],
      concerns: [],
      bodyMeasurements: { latest: {}, oldest: {}, recent: [] },
      activities: [],
      observationsInProgress: [],
      yesterdayJournal: null,
    });
  });

  test("rejects an unknown time zone and a user id", async () => {
    expect(await callError(alice, "GetUserHolisticData", { timezone: "Tokyo" })).toMatch(/IANA/);
    expect(await callError(alice, "GetUserHolisticData", { userId: "alice-holistic" })).toMatch(/unknown argument 'userId'/);
  });
});
