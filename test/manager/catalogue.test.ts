import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { startManager, type ManagerHarness } from "../support/manager";
import { undescribed } from "../support/schema";

// The 41 tools of the original HealthManagerMCP: names kept so existing prompts keep working.
const ORIGINAL_TOOLS = [
  ["AddUser", "UpdateUser", "GetUser"],
  ["AddGoal", "UpdateGoal", "DeleteGoal", "GetGoals"],
  ["AddPolicy", "UpdatePolicy", "DeletePolicy", "GetPolicies"],
  ["AddConcern", "UpdateConcern", "DeleteConcern", "GetConcerns"],
  ["AddActivities", "UpdateActivities", "UpdateActivity", "DeleteActivity", "GetActivities", "GetActivitiesInRange"],
  ["AddBodyMeasurement", "UpdateBodyMeasurement", "DeleteBodyMeasurement", "GetLatestMeasurements", "GetOldestMeasurements", "GetMeasurementHistory"],
  ["AddJournal", "GetJournal", "GetJournalsInRange", "UpdateJournal", "DeleteJournal"],
  [
    "AddObservation",
    "GetObservation",
    "GetObservationsInRange",
    "GetObservationsInProgress",
    "UpdateObservation",
    "AddObservationProgress",
    "CompleteObservation",
    "CancelObservation",
  ],
  ["GetUserHolisticData"],
].flat();

let harness: ManagerHarness;
let tools: Tool[];

beforeAll(async () => {
  harness = await startManager();
  const client: Client = await harness.clientFor("catalogue-sub");
  ({ tools } = await client.listTools());
});
afterAll(() => harness.close());

type JsonSchema = { type?: string; additionalProperties?: unknown; properties?: Record<string, unknown> };

describe("tool catalogue", () => {
  test("exposes exactly the original's 41 tool names", () => {
    expect(tools.map((tool) => tool.name).sort()).toEqual([...ORIGINAL_TOOLS].sort());
  });

  test("names and schemas are valid for Amazon Bedrock tool use", () => {
    for (const tool of tools) {
      expect(tool.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect(tool.inputSchema.type).toBe("object");
      expect(JSON.stringify(tool.inputSchema)).not.toContain("$ref");
      expect(tool.description?.length).toBeGreaterThan(10);
    }
  });

  test("every input and output field is described", () => {
    const missing = tools.flatMap((tool) => [...undescribed(tool.inputSchema, `${tool.name}.input`), ...undescribed(tool.outputSchema, `${tool.name}.output`)]);
    expect(missing).toEqual([]);
  });

  test("no tool takes a user id; unknown arguments are refused by the schema", () => {
    for (const tool of tools) {
      expect(Object.keys(tool.inputSchema.properties ?? {})).not.toContain("userId");
      expect((tool.inputSchema as JsonSchema).additionalProperties).toBe(false);
      expect(Object.keys((tool.outputSchema as JsonSchema | undefined)?.properties ?? {})).not.toContain("userId");
    }
  });

  test("annotations say whether a tool reads, writes or destroys", () => {
    for (const tool of tools) {
      const { readOnlyHint, destructiveHint, idempotentHint } = tool.annotations ?? {};
      expect([tool.name, typeof readOnlyHint, typeof destructiveHint, typeof idempotentHint]).toEqual([tool.name, "boolean", "boolean", "boolean"]);
      if (/^Get/.test(tool.name)) expect([tool.name, readOnlyHint]).toEqual([tool.name, true]);
      if (/^(Add|Update|Delete|Complete|Cancel)/.test(tool.name)) expect([tool.name, readOnlyHint]).toEqual([tool.name, false]);
      if (/^Delete/.test(tool.name)) expect([tool.name, destructiveHint]).toEqual([tool.name, true]);
      expect(tool.outputSchema?.type).toBe("object");
    }
  });
});
