import { QueryCommand, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { InvalidInputError } from "../../common/errors";

/**
 * Cursor pagination over DynamoDB queries. A page of a tool is `limit` items that match; one
 * DynamoDB page stops at 1 MB (or at `Limit` evaluated items when a filter is used), so we keep
 * querying until the tool page is full or the partition is exhausted — never returning a short
 * page with a cursor because DynamoDB's page ended.
 *
 * The cursor is the last returned item's key, base64url-encoded. It is checked to belong to the
 * caller's partition so a cursor can never steer a query into another user's data.
 */
export type Key = Record<string, string | number>;

export interface Page<T> {
  readonly items: T[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

export function encodeCursor(key: Key): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string, partitionKey: string, userId: string, keyNames: readonly string[]): Key {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidInputError("cursor is not valid: pass the nextCursor value of the previous page unchanged, or omit it to start from the first page.");
  }
  const valid =
    typeof decoded === "object" &&
    decoded !== null &&
    !Array.isArray(decoded) &&
    (decoded as Key)[partitionKey] === userId &&
    Object.keys(decoded).length === keyNames.length &&
    keyNames.every((name) => ["string", "number"].includes(typeof (decoded as Key)[name]));
  if (!valid) {
    throw new InvalidInputError("cursor is not valid: pass the nextCursor value of the previous page unchanged, or omit it to start from the first page.");
  }
  return decoded as Key;
}

export interface QueryPageOptions {
  readonly client: DynamoDBDocumentClient;
  /** Query input without ExclusiveStartKey/Limit; must constrain the partition to the user. */
  readonly input: Omit<QueryCommandInput, "ExclusiveStartKey" | "Limit">;
  readonly userId: string;
  readonly partitionKey: string;
  /** Names of the attributes that make up LastEvaluatedKey (table key + index key). */
  readonly keyNames: readonly string[];
  readonly limit: number;
  readonly cursor?: string;
}

export async function queryPage<T extends Record<string, unknown>>(options: QueryPageOptions): Promise<Page<T>> {
  const { client, input, userId, partitionKey, keyNames, limit } = options;
  const items: T[] = [];
  let startKey: Key | undefined = options.cursor ? decodeCursor(options.cursor, partitionKey, userId, keyNames) : undefined;
  // Read one item past the page: it tells whether a next page exists without a second query.
  const wanted = limit + 1;
  for (;;) {
    const response = await client.send(
      new QueryCommand({ ...input, ExclusiveStartKey: startKey, Limit: input.FilterExpression ? undefined : wanted - items.length }),
    );
    items.push(...((response.Items ?? []) as T[]));
    if (items.length >= wanted) {
      const page = items.slice(0, limit);
      const last = page[page.length - 1] as T;
      return { items: page, nextCursor: encodeCursor(Object.fromEntries(keyNames.map((name) => [name, last[name]])) as Key) };
    }
    if (!response.LastEvaluatedKey) return { items };
    startKey = response.LastEvaluatedKey as Key;
  }
}

/** Every matching item of a query, across all DynamoDB pages. Use where the result is bounded. */
export async function queryAll<T>(client: DynamoDBDocumentClient, input: Omit<QueryCommandInput, "ExclusiveStartKey">): Promise<T[]> {
  const items: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const response = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...((response.Items ?? []) as T[]));
    startKey = response.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export interface CursorRange {
  readonly userId: string;
  /** Names of the attributes that make up the cursor (as passed to queryPage). */
  readonly keyNames: readonly string[];
  /** The cursor attribute the range is on, e.g. `date` or an index key "<instant>#<id>". */
  readonly rangeKey: string;
  readonly from: string;
  readonly to: string;
  /** How to fix the call; follows "cursor belongs to a different date range: ". */
  readonly fix: string;
}

/**
 * Refuses a cursor that lies outside the range asked for: it came from a call with another
 * range, and DynamoDB would reject the query. The message says how to fix the call instead.
 */
export function checkCursorInRange(cursor: string | undefined, range: CursorRange): void {
  if (!cursor) return;
  // Every catalogue table is partitioned by userId.
  const position = String(decodeCursor(cursor, "userId", range.userId, range.keyNames)[range.rangeKey]);
  if (position < range.from || position > range.to) {
    throw new InvalidInputError(`cursor belongs to a different date range: ${range.fix}`);
  }
}
