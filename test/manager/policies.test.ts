import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callError, callOk, startManager, type ManagerHarness } from "../support/manager";

type ParameterValue = string | number | boolean | string[];
interface Policy {
  policyId: string;
  policyType: string;
  title: string;
  description?: string;
  parameters: Record<string, ParameterValue>;
  isActive: boolean;
  startDate?: string;
  endDate?: string;
  createdAt: string;
  updatedAt: string;
}
interface PolicyPage {
  policies: Policy[];
  nextCursor?: string;
}

const UNKNOWN_ID = "01890a5d-ac96-774b-bcce-b302099a8057";
const CREATED = new Date("2026-04-01T06:00:00.000Z");
const UPDATED = new Date("2026-04-03T21:15:00.000Z");

let harness: ManagerHarness;
let alice: Client;
let mallory: Client;

beforeAll(async () => {
  harness = await startManager();
  alice = await harness.clientFor("policies-alice");
  mallory = await harness.clientFor("policies-mallory");
});
afterAll(() => harness.close());
afterEach(() => harness.setNow(undefined));

type Case = [Record<string, unknown>, RegExp];

/** [args, message] → [short label, args, message], so test names stay readable with long inputs. */
function labelled([args, message]: Case): [string, Record<string, unknown>, RegExp] {
  const label = JSON.stringify(args, (_key, value: unknown) => {
    if (typeof value === "string" && value.length > 20) return `<${value.length} chars>`;
    if (Array.isArray(value) && value.length > 5) return `<${value.length} items>`;
    if (value && typeof value === "object" && Object.keys(value).length > 5) return `<${Object.keys(value).length} keys>`;
    return value;
  });
  return [label, args, message];
}

async function allPolicies(client: Client, args: Record<string, unknown> = {}): Promise<Policy[]> {
  const policies: Policy[] = [];
  let cursor: string | undefined;
  do {
    const page = await callOk<PolicyPage>(client, "GetPolicies", { ...args, ...(cursor ? { cursor } : {}) });
    policies.push(...page.policies);
    cursor = page.nextCursor;
  } while (cursor);
  return policies;
}

describe("policies", () => {
  let policy: Policy;

  test("AddPolicy with only a type gets a default title, no parameters and is active", async () => {
    harness.setNow(CREATED);
    const minimal = await callOk<Policy>(alice, "AddPolicy", { policyType: "sleep" });
    expect(minimal).toEqual({
      policyId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/),
      policyType: "sleep",
      title: "Sleep policy",
      parameters: {},
      isActive: true,
      createdAt: CREATED.toISOString(),
      updatedAt: CREATED.toISOString(),
    });
    expect(minimal).not.toHaveProperty("userId");
  });

  test("AddPolicy stores every field sent, parameters of every value kind included", async () => {
    harness.setNow(CREATED);
    policy = await callOk<Policy>(alice, "AddPolicy", {
      policyType: "diet",
      title: "Low sugar",
      description: "No sweets on weekdays",
      parameters: { maxDailyCalories: 1800, eatingWindow: "10:00-18:00", cheatDay: true, avoid: ["sugar", "alcohol"], 目標: "健康", zero: 0, ratio: -0.25 },
      isActive: false,
      startDate: "2026-04-01",
      endDate: "2026-06-30",
    });
    expect(policy).toMatchObject({
      policyType: "diet",
      title: "Low sugar",
      description: "No sweets on weekdays",
      parameters: { maxDailyCalories: 1800, eatingWindow: "10:00-18:00", cheatDay: true, avoid: ["sugar", "alcohol"], 目標: "健康", zero: 0, ratio: -0.25 },
      isActive: false,
      startDate: "2026-04-01",
      endDate: "2026-06-30",
    });
    expect((await allPolicies(alice)).at(-1)).toEqual(policy);
  });

  test("UpdatePolicy replaces parameters (the original ignored them) and keeps every other field", async () => {
    harness.setNow(UPDATED);
    const updated = await callOk<Policy>(alice, "UpdatePolicy", { policyId: policy.policyId, parameters: { maxDailyCalories: 1600, avoid: ["sugar"] } });
    expect(updated).toEqual({ ...policy, parameters: { maxDailyCalories: 1600, avoid: ["sugar"] }, updatedAt: UPDATED.toISOString() });
    expect((await allPolicies(alice)).find((each) => each.policyId === policy.policyId)).toEqual(updated);
    const cleared = await callOk<Policy>(alice, "UpdatePolicy", { policyId: policy.policyId, parameters: {} });
    expect(cleared.parameters).toEqual({});
    policy = await callOk<Policy>(alice, "UpdatePolicy", { policyId: policy.policyId, parameters: { fastingHours: 16 } });
  });

  test("UpdatePolicy changes title, description, isActive and dates only when sent", async () => {
    harness.setNow(UPDATED);
    const renamed = await callOk<Policy>(alice, "UpdatePolicy", { policyId: policy.policyId, title: "Lower sugar", isActive: true });
    expect(renamed).toEqual({ ...policy, title: "Lower sugar", isActive: true });
    const moved = await callOk<Policy>(alice, "UpdatePolicy", { policyId: policy.policyId, description: "Weekends too", startDate: "2026-05-01", endDate: "2026-05-31" });
    expect(moved).toEqual({ ...renamed, description: "Weekends too", startDate: "2026-05-01", endDate: "2026-05-31" });
    expect(await callOk<Policy>(alice, "UpdatePolicy", { policyId: policy.policyId, endDate: "2026-05-01" })).toMatchObject({ startDate: "2026-05-01", endDate: "2026-05-01" });
    policy = await callOk<Policy>(alice, "UpdatePolicy", { policyId: policy.policyId, startDate: "2026-04-15" });
    expect(policy).toMatchObject({ title: "Lower sugar", isActive: true, startDate: "2026-04-15", endDate: "2026-05-01", parameters: { fastingHours: 16 } });
  });

  test.each(
    ([
      [{}, /at least one of title, description, parameters, isActive, startDate, endDate/],
      [{ policyType: "sleep" }, /unknown argument 'policyType'/],
      [{ rules: { a: 1 } }, /unknown argument 'rules'/],
      [{ userId: "policies-mallory", title: "x" }, /unknown argument 'userId'.*signed-in user/],
      [{ isActive: "yes" }, /isActive must be true or false, got "yes"/],
      [{ title: "" }, /title must not be empty/],
      [{ title: "t".repeat(201) }, /title is too long: 1-200 characters allowed, got 201/],
      [{ description: "d".repeat(2001) }, /description is too long: at most 2000 characters allowed, got 2001/],
      [{ startDate: "2026/05/01" }, /startDate: expected a date as YYYY-MM-DD/],
      [{ endDate: "2026-02-29" }, /endDate: expected a date as YYYY-MM-DD, got "2026-02-29"/],
      [{ startDate: "2026-06-01", endDate: "2026-05-01" }, /startDate 2026-06-01 is after endDate 2026-05-01/],
      [{ startDate: "2026-05-02" }, /startDate 2026-05-02 is after the policy's endDate 2026-05-01.*send a new endDate too/],
      [{ endDate: "2026-04-14" }, /endDate 2026-04-14 is before the policy's startDate 2026-04-15.*send a new startDate too/],
      [{ parameters: "16 hours" }, /parameters must be an object of name → value, got "16 hours"/],
      [{ parameters: ["a"] }, /parameters must be an object/],
      [{ parameters: { nested: { a: 1 } } }, /parameters\.nested: each parameter value must be text .*a number, true\/false, or a list/],
      [{ parameters: { missing: null } }, /parameters\.missing: each parameter value must be/],
      [{ parameters: { mixed: ["a", 1] } }, /parameters\.mixed: each parameter value must be/],
      [{ parameters: Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`key${index}`, index])) }, /parameters may have at most 50 entries, got 51/],
      [{ parameters: { "": 1 } }, /parameter names must be 1-100 characters/],
      [{ parameters: { ["k".repeat(101)]: 1 } }, /parameter names must be 1-100 characters/],
      [{ parameters: { note: "n".repeat(501) } }, /parameters\.note: text values may have at most 500 characters/],
      [{ parameters: { list: Array.from({ length: 21 }, () => "x") } }, /parameters\.list: each parameter value must be .*a list of at most 20 texts/],
      [{ parameters: { list: ["x".repeat(101)] } }, /parameters\.list\.0: list items may have at most 100 characters/],
      [{ parameters: { big: 1e13 } }, /parameters\.big: numbers must be 0 or between 0.000001 and 1000000000000 in magnitude, got 10000000000000/],
      [{ parameters: { tiny: 1e-9 } }, /parameters\.tiny: numbers must be 0 or between/],
    ] as Case[]).map(labelled),
  )("UpdatePolicy rejects %s and changes nothing", async (_label, args, message) => {
    const before = await allPolicies(alice);
    expect(await callError(alice, "UpdatePolicy", { policyId: policy.policyId, ...args })).toMatch(message);
    expect(await allPolicies(alice)).toEqual(before);
  });

  test.each(
    ([
      [{ title: "No type" }, /policyType is required: one of diet, exercise, sleep, fasting, other/],
      [{ policyType: "restriction" }, /policyType must be one of diet, exercise, sleep, fasting, other, got "restriction"/],
      [{ policyType: "diet", startDate: "2026-07-01", endDate: "2026-06-30" }, /startDate 2026-07-01 is after endDate 2026-06-30/],
      [{ policyType: "diet", parameters: { a: { b: 1 } } }, /parameters\.a: each parameter value must be/],
      [{ policyType: "diet", parameters: Object.fromEntries(Array.from({ length: 60 }, (_, index) => [`key${index}`, true])) }, /at most 50 entries, got 60/],
      [{ policyType: "diet", isActive: 1 }, /isActive must be true or false, got 1/],
      [{ policyType: "diet", title: "   " }, /title must not be empty/],
      [{ policyType: "diet", userId: "policies-mallory" }, /unknown argument 'userId'/],
    ] as Case[]).map(labelled),
  )("AddPolicy rejects %s and stores nothing", async (_label, args, message) => {
    const before = await allPolicies(alice);
    expect(await callError(alice, "AddPolicy", args)).toMatch(message);
    expect(await allPolicies(alice)).toEqual(before);
  });

  test("UpdatePolicy and DeletePolicy of an unknown id are not found and say how to list the ids", async () => {
    const before = await allPolicies(alice);
    const notFound = new RegExp(`Policy '${UNKNOWN_ID}' was not found.*GetPolicies`);
    expect(await callError(alice, "UpdatePolicy", { policyId: UNKNOWN_ID, title: "x" })).toMatch(notFound);
    expect(await callError(alice, "UpdatePolicy", { policyId: UNKNOWN_ID, startDate: "2026-01-01" })).toMatch(notFound);
    expect(await callError(alice, "UpdatePolicy", { policyId: UNKNOWN_ID, endDate: "2026-01-01" })).toMatch(notFound);
    expect(await callError(alice, "DeletePolicy", { policyId: UNKNOWN_ID })).toMatch(notFound);
    expect(await callError(alice, "DeletePolicy", { policyId: "policy-1" })).toMatch(/policyId must be the id returned when it was created \(a UUID\)/);
    expect(await allPolicies(alice)).toEqual(before);
  });

  test("another user who knows the ids can neither read nor change the policies", async () => {
    const before = await allPolicies(alice);
    expect(await allPolicies(mallory)).toEqual([]);
    expect(await callError(mallory, "UpdatePolicy", { policyId: policy.policyId, parameters: { hacked: true } })).toMatch(/not found/);
    expect(await callError(mallory, "UpdatePolicy", { policyId: policy.policyId, endDate: "2020-01-01" })).toMatch(/not found/);
    expect(await callError(mallory, "DeletePolicy", { policyId: policy.policyId })).toMatch(/not found/);
    const page = await callOk<PolicyPage>(alice, "GetPolicies", { limit: 1 });
    expect(page.nextCursor).toBeDefined();
    expect(await callError(mallory, "GetPolicies", { cursor: page.nextCursor })).toMatch(/cursor is not valid/);
    expect(await allPolicies(alice)).toEqual(before);
  });

  test("DeletePolicy returns the deleted policy; deleting it again is not found", async () => {
    expect(await callOk<Policy>(alice, "DeletePolicy", { policyId: policy.policyId })).toEqual(policy);
    expect((await allPolicies(alice)).map((each) => each.policyId)).not.toContain(policy.policyId);
    expect(await callError(alice, "DeletePolicy", { policyId: policy.policyId })).toMatch(/not found.*GetPolicies/);
  });

  test("the tools list declares annotations and bounds the parameters", async () => {
    const { tools } = await alice.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.get("AddPolicy")?.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: false, destructiveHint: false });
    expect(byName.get("UpdatePolicy")?.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: true, destructiveHint: false });
    expect(byName.get("DeletePolicy")?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get("GetPolicies")?.annotations).toMatchObject({ readOnlyHint: true });
    const parameters = (byName.get("UpdatePolicy")?.inputSchema.properties as Record<string, { description?: string }>).parameters;
    expect(parameters?.description).toMatch(/replace/);
    expect((byName.get("AddPolicy")?.inputSchema.properties as Record<string, { description?: string }>).parameters?.description).toMatch(/at most 50 entries/);
  });
});

describe("GetPolicies pagination", () => {
  let pager: Client;
  const created: Policy[] = [];
  const types = ["diet", "exercise", "sleep", "fasting", "other"];

  beforeAll(async () => {
    pager = await harness.clientFor("policies-pager");
    for (let index = 0; index < 23; index++) {
      created.push(
        await callOk<Policy>(pager, "AddPolicy", {
          policyType: types[index % types.length],
          title: `Policy ${index}`,
          isActive: index % 3 !== 0,
          parameters: { index },
        }),
      );
    }
  });

  test("walking small pages sees every policy once, oldest first", async () => {
    const pages: PolicyPage[] = [];
    let cursor: string | undefined;
    do {
      const page = await callOk<PolicyPage>(pager, "GetPolicies", { limit: 5, ...(cursor ? { cursor } : {}) });
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.map((page) => page.policies.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flatMap((page) => page.policies)).toEqual(created);
    const first = await callOk<PolicyPage>(pager, "GetPolicies");
    expect(first.policies).toEqual(created.slice(0, 20));
  });

  test.each([
    [{ isActive: false }, (policy: Policy) => !policy.isActive],
    [{ isActive: true }, (policy: Policy) => policy.isActive],
    [{ isActive: true, policyType: "sleep" }, (policy: Policy) => policy.isActive && policy.policyType === "sleep"],
    [{ policyType: "fasting" }, (policy: Policy) => policy.policyType === "fasting"],
  ])("filter %j pages through exactly the matching policies", async (filter, matches) => {
    const expected = created.filter(matches);
    expect(expected.length).toBeGreaterThan(1);
    const seen: Policy[] = [];
    let cursor: string | undefined;
    do {
      const page = await callOk<PolicyPage>(pager, "GetPolicies", { ...filter, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.policies.length).toBeLessThanOrEqual(2);
      seen.push(...page.policies);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expected);
  });

  test.each([
    [{ limit: 0 }, /limit/],
    [{ cursor: "bm90LWpzb24" }, /cursor is not valid/],
    [{ isActive: "true" }, /isActive must be true or false, got "true"/],
    [{ policyType: "restriction" }, /policyType must be one of/],
  ])("GetPolicies rejects %j", async (args, message) => {
    expect(await callError(pager, "GetPolicies", args)).toMatch(message);
  });
});
