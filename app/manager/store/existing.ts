import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { UpdateParts } from "./update";

/**
 * Single-item writes to an item that must already exist. The condition makes the write atomic
 * with the existence check, so an update never creates an item and a missing (or another user's)
 * item becomes the tool's NotFoundError instead of a new record (issue #2).
 */
const ITEM_EXISTS = "attribute_exists(userId)";

export interface ExistingItem {
  readonly tableName: string;
  readonly key: Record<string, unknown>;
  /**
   * The error to throw when the condition fails: usually a NotFoundError; where extra conditions
   * can fail too, it may read the item to tell which one did.
   */
  readonly whenConditionFails: () => Error | Promise<Error>;
}

export interface ExistingItemUpdate extends ExistingItem {
  /** The update; its names and values also serve the extra conditions. */
  readonly update: UpdateParts;
  /** Further conditions, ANDed after the existence check. @default - existence only */
  readonly conditions?: readonly string[];
}

/** Applies `update` to the existing item and returns the item as stored afterwards. */
export async function updateExisting(client: DynamoDBDocumentClient, request: ExistingItemUpdate): Promise<Record<string, unknown>> {
  const { Attributes } = await sendConditional(
    client.send(
      new UpdateCommand({
        TableName: request.tableName,
        Key: request.key,
        ...request.update,
        ConditionExpression: [ITEM_EXISTS, ...(request.conditions ?? [])].join(" AND "),
        ReturnValues: "ALL_NEW",
      }),
    ),
    request.whenConditionFails,
  );
  return Attributes ?? {};
}

/** Deletes the existing item and returns it as it was. */
export async function deleteExisting(client: DynamoDBDocumentClient, request: ExistingItem): Promise<Record<string, unknown>> {
  const { Attributes } = await sendConditional(
    client.send(new DeleteCommand({ TableName: request.tableName, Key: request.key, ConditionExpression: ITEM_EXISTS, ReturnValues: "ALL_OLD" })),
    request.whenConditionFails,
  );
  return Attributes ?? {};
}

async function sendConditional<T>(write: Promise<T>, whenConditionFails: () => Error | Promise<Error>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw await whenConditionFails();
    throw error;
  }
}
