/**
 * Builds a DynamoDB `SET` update from only the fields the caller sent, so an update can never
 * erase a field it did not mention. `undefined` values are skipped; names are placeholders, so
 * reserved words (`status`, `date`, `items` …) are safe.
 */
export interface UpdateParts {
  readonly UpdateExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, unknown>;
}

export function buildSetUpdate(fields: Record<string, unknown>, remove: readonly string[] = []): UpdateParts {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  let index = 0;
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    names[`#f${index}`] = field;
    values[`:v${index}`] = value;
    sets.push(`#f${index} = :v${index}`);
    index++;
  }
  const removes = remove.map((field) => {
    names[`#f${index}`] = field;
    return `#f${index++}`;
  });
  const clauses = [sets.length ? `SET ${sets.join(", ")}` : "", removes.length ? `REMOVE ${removes.join(", ")}` : ""].filter(Boolean);
  return { UpdateExpression: clauses.join(" "), ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}

/** True when at least one field besides the listed bookkeeping ones was sent. */
export function hasChanges(fields: Record<string, unknown>): boolean {
  return Object.values(fields).some((value) => value !== undefined);
}
