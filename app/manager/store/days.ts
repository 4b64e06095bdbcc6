import type { DynamoDBDocumentClient, QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import { checkCursorInRange, queryPage, type Page } from "./paging";

/**
 * Tables with one item per user per day (activities, journals): the sort key `date` is
 * YYYY-MM-DD, so a range of days is a key range and sorts oldest first.
 */
const DAY_KEY_NAMES = ["userId", "date"] as const;

export interface DayRangeQuery {
  readonly tableName: string;
  readonly userId: string;
  /** First day, YYYY-MM-DD. */
  readonly startDate: string;
  /** Last day (included), YYYY-MM-DD. */
  readonly endDate: string;
}

/** Query input for the user's days from startDate to endDate, both included, oldest first. */
export function dayRangeQuery(range: DayRangeQuery): Omit<QueryCommandInput, "ExclusiveStartKey" | "Limit"> {
  return {
    TableName: range.tableName,
    KeyConditionExpression: "userId = :userId AND #date BETWEEN :startDate AND :endDate",
    ExpressionAttributeNames: { "#date": "date" },
    ExpressionAttributeValues: { ":userId": range.userId, ":startDate": range.startDate, ":endDate": range.endDate },
    ScanIndexForward: true,
  };
}

export interface DayPageQuery extends DayRangeQuery {
  readonly limit: number;
  readonly cursor?: string;
}

/** One page of the user's days in the range; a cursor from another range is refused with a fix. */
export async function queryDayPage(client: DynamoDBDocumentClient, query: DayPageQuery): Promise<Page<Record<string, unknown>>> {
  checkCursorInRange(query.cursor, {
    userId: query.userId,
    keyNames: DAY_KEY_NAMES,
    rangeKey: "date",
    from: query.startDate,
    to: query.endDate,
    fix: "pass the nextCursor of the previous page with the same startDate and endDate, or omit cursor to start again.",
  });
  return queryPage<Record<string, unknown>>({
    client,
    input: dayRangeQuery(query),
    userId: query.userId,
    partitionKey: "userId",
    keyNames: DAY_KEY_NAMES,
    limit: query.limit,
    cursor: query.cursor,
  });
}
