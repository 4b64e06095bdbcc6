import type { QueryCommandInput } from "@aws-sdk/lib-dynamodb";

/**
 * Query input for a list tool: all of the user's items of one table, kept only where they match
 * every optional filter the caller sent. A filter left undefined does not filter. Attribute
 * names are placeholders, so reserved words (`status` …) are safe.
 */
export interface FilteredQuery {
  readonly tableName: string;
  readonly userId: string;
  /** attribute → value it must equal. */
  readonly equals?: Record<string, unknown>;
  /** list attribute → value it must contain. */
  readonly contains?: Record<string, unknown>;
}

export function filteredQuery(query: FilteredQuery): Omit<QueryCommandInput, "ExclusiveStartKey" | "Limit"> {
  const names: Record<string, string> = { "#userId": "userId" };
  const values: Record<string, unknown> = { ":userId": query.userId };
  const clauses: string[] = [];
  const addClause = (attribute: string, value: unknown, clause: string) => {
    if (value === undefined) return;
    names[`#${attribute}`] = attribute;
    values[`:${attribute}`] = value;
    clauses.push(clause);
  };
  for (const [attribute, value] of Object.entries(query.equals ?? {})) addClause(attribute, value, `#${attribute} = :${attribute}`);
  for (const [attribute, value] of Object.entries(query.contains ?? {})) addClause(attribute, value, `contains(#${attribute}, :${attribute})`);
  return {
    TableName: query.tableName,
    KeyConditionExpression: "#userId = :userId",
    FilterExpression: clauses.length ? clauses.join(" AND ") : undefined,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
