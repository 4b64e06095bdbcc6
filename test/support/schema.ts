/** Paths of JSON Schema properties (nested objects, array items, anyOf options) that lack a description. */
export function undescribed(schema: unknown, path = ""): string[] {
  if (!schema || typeof schema !== "object") return [];
  const node = schema as { properties?: Record<string, { description?: string }>; items?: unknown; anyOf?: unknown[] };
  const missing: string[] = [];
  for (const [name, property] of Object.entries(node.properties ?? {})) {
    const here = path ? `${path}.${name}` : name;
    if (!property.description) missing.push(here);
    missing.push(...undescribed(property, here));
  }
  missing.push(...undescribed(node.items, `${path}[]`));
  for (const option of node.anyOf ?? []) missing.push(...undescribed(option, path));
  return missing;
}

type Hints = { readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean };
type ListedTool = { name: string; annotations?: Hints; inputSchema: unknown; outputSchema?: unknown };

/** Each named tool is listed with these annotation hints, a description on every field, and no userId input. */
export function expectToolsListed(tools: readonly ListedTool[], expected: Readonly<Record<string, Hints>>): void {
  for (const [name, hints] of Object.entries(expected)) {
    const tool = tools.find((candidate) => candidate.name === name);
    expect(tool).toBeDefined();
    expect(tool?.annotations).toMatchObject(hints);
    expect(undescribed(tool?.inputSchema, `${name}.input`)).toEqual([]);
    expect(undescribed(tool?.outputSchema, `${name}.output`)).toEqual([]);
    expect(JSON.stringify(tool?.inputSchema)).not.toMatch(/userId/);
  }
}
