import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import fc from "fast-check";
import { TABLE_KEYS } from "../../app/manager/store/catalogue";
import { startManager, textOf, type ManagerHarness } from "../support/manager";

/**
 * Generated bad input on every tool: whatever arrives, the server answers with a tool result
 * (never a crash, a 5xx or a protocol error), an error result says what to fix, and a refused
 * call changes nothing in any table.
 */
let harness: ManagerHarness;
let client: Client;
let tools: Tool[];

beforeAll(async () => {
  harness = await startManager();
  client = await harness.clientFor("fuzz-sub");
  ({ tools } = await client.listTools());
});
afterAll(() => harness.close());

async function snapshot(): Promise<string> {
  const tables = await Promise.all(
    TABLE_KEYS.map(async (key) => {
      const { Items } = await harness.dynamo.db.send(new ScanCommand({ TableName: harness.dynamo.tables[key] }));
      return [key, (Items ?? []).map((item) => JSON.stringify(item)).sort()];
    }),
  );
  return JSON.stringify(tables);
}

/** Values that look almost right: the edges validation must catch. */
const nearMiss = fc.oneof(
  fc.constantFrom("", " ", "2026-02-30", "2026-13-01", "1899-12-31", "25:00", "12:60", "P", "PT", "ACTIVE ", "active", "../../etc", "0", "-1"),
  fc.constantFrom(0, -1, 6, 1.5, 1e308, Number.MAX_SAFE_INTEGER, -0),
  fc.constantFrom(null, true, [], {}, [null], { userId: "someone-else" }),
  fc.string({ maxLength: 30 }),
  fc.string({ minLength: 10_001, maxLength: 10_050 }),
);

function argumentsFor(tool: Tool): fc.Arbitrary<Record<string, unknown>> {
  const names = Object.keys(tool.inputSchema.properties ?? {});
  const value = fc.oneof(nearMiss, fc.jsonValue({ maxDepth: 2 }));
  const known = names.length ? fc.dictionary(fc.constantFrom(...names), value, { maxKeys: names.length }) : fc.constant({});
  const extra = fc.dictionary(fc.constantFrom("userId", "user_id", "__proto__x", "id", "Limit"), value, { maxKeys: 2 });
  return fc.oneof({ arbitrary: known, weight: 4 }, { arbitrary: fc.tuple(known, extra).map(([a, b]) => ({ ...a, ...b })), weight: 1 });
}

test("every tool survives generated bad input without a crash or a partial write", async () => {
  expect(tools.length).toBeGreaterThan(0);
  for (const tool of tools) {
    await fc.assert(
      fc.asyncProperty(argumentsFor(tool), async (args) => {
        const before = await snapshot();
        const result = (await client.callTool({ name: tool.name, arguments: args })) as CallToolResult;
        if (result.isError) {
          const message = textOf(result);
          expect(message).not.toMatch(/Internal error/);
          expect(message.length).toBeGreaterThan(10);
          expect(await snapshot()).toBe(before);
        } else {
          expect(result.structuredContent).toBeDefined();
        }
      }),
      { numRuns: 15, seed: 20261204 + tool.name.length },
    );
  }
  const crashes = harness.audit.records.filter((record) => record.outcome === "error");
  expect(crashes).toEqual([]);
}, 120_000);
