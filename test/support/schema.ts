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
