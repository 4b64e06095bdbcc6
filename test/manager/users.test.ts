import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callError, callOk, startManager, type ManagerHarness } from "../support/manager";

let harness: ManagerHarness;
let alice: Client;

beforeAll(async () => {
  harness = await startManager();
  alice = await harness.clientFor("alice-sub");
});
afterAll(() => harness.close());

describe("users", () => {
  test("GetUser before AddUser says how to create the profile", async () => {
    expect(await callError(alice, "GetUser")).toMatch(/AddUser/);
  });

  test("AddUser creates the profile; a second AddUser is a conflict", async () => {
    const profile = await callOk(alice, "AddUser", { username: "Alice", email: "alice@example.com", dateOfBirth: "1990-05-01", timezone: "Asia/Tokyo" });
    expect(profile).toMatchObject({ username: "Alice", email: "alice@example.com", dateOfBirth: "1990-05-01", timezone: "Asia/Tokyo" });
    expect(profile).not.toHaveProperty("userId");
    expect(await callError(alice, "AddUser", { username: "Again" })).toMatch(/already exists.*UpdateUser/);
  });

  test("UpdateUser changes only the fields sent", async () => {
    const updated = await callOk(alice, "UpdateUser", { email: "new@example.com" });
    expect(updated).toMatchObject({ username: "Alice", email: "new@example.com", dateOfBirth: "1990-05-01", timezone: "Asia/Tokyo" });
    expect(await callOk(alice, "GetUser")).toEqual(updated);
  });

  test.each([
    [{ dateOfBirth: "1899-12-31" }, /1900/],
    [{ dateOfBirth: "2990-01-01" }, /future/],
    [{ dateOfBirth: "1990-02-30" }, /YYYY-MM-DD/],
    [{ email: "not-an-email" }, /email/],
    [{ timezone: "Mars/Olympus" }, /IANA/],
    [{ username: "" }, /username/],
    [{}, /at least one/],
    [{ userId: "someone-else", username: "x" }, /unknown argument 'userId'.*signed-in user/],
  ])("UpdateUser rejects %j and changes nothing", async (args, message) => {
    const before = await callOk(alice, "GetUser");
    expect(await callError(alice, "UpdateUser", args)).toMatch(message);
    expect(await callOk(alice, "GetUser")).toEqual(before);
  });

  test("UpdateUser without a profile is not found", async () => {
    const bob = await harness.clientFor("bob-sub");
    expect(await callError(bob, "UpdateUser", { username: "Bob" })).toMatch(/AddUser/);
  });

  test("every call leaves one audit record without health values", async () => {
    const records = harness.audit.records.filter((record) => record.sub === "alice-sub");
    expect(records.length).toBeGreaterThan(5);
    for (const record of records) {
      expect(Object.keys(record).sort()).toEqual(["durationMs", "outcome", "requestId", "service", "sub", "time", "tool", "type"]);
    }
    expect(records.map((record) => record.outcome)).toEqual(expect.arrayContaining(["ok", "invalid_input", "conflict", "not_found"]));
  });
});
