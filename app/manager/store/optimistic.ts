import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { ConflictError } from "../../common/errors";

/**
 * Optimistic concurrency for read-modify-write of one item (a day's activities, a day's journal,
 * a measurement and its index keys). DynamoDB Local/dynalite have no transactions (issue #2), so
 * each item carries a `version` number: a write succeeds only if the item is still as it was
 * read, otherwise the caller reads again and recomputes.
 */

/** Read-modify-write attempts before giving up with a ConflictError. */
export const MAX_WRITE_ATTEMPTS = 16;

export interface ConditionParts {
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

/** A stored item as read before the write; `version` is absent only on items written by something other than these tools. */
export interface Versioned {
  readonly version?: number;
}

/** Write condition: the item is still absent (it was not there when read) or still has the version that was read. */
export function versionCondition(existing: Versioned | undefined): ConditionParts {
  if (!existing) return { ConditionExpression: "attribute_not_exists(userId)" };
  if (existing.version === undefined) {
    return { ConditionExpression: "attribute_exists(userId) AND attribute_not_exists(#version)", ExpressionAttributeNames: { "#version": "version" } };
  }
  return { ConditionExpression: "#version = :version", ExpressionAttributeNames: { "#version": "version" }, ExpressionAttributeValues: { ":version": existing.version } };
}

/** The version to store with the new state of `existing`. */
export function nextVersion(existing: Versioned | undefined): number {
  return (existing?.version ?? 0) + 1;
}

export interface RetryOptions {
  /** @default MAX_WRITE_ATTEMPTS */
  readonly attempts?: number;
  /** Message of the ConflictError when every attempt lost the race; says that nothing was changed and what to do. */
  readonly conflictMessage: string;
}

/**
 * Runs one read-modify-write `attempt` (read, compute, conditional write) again whenever its write
 * fails the version condition, i.e. someone changed the item in between. Any other error, such
 * as a refused input, ends the loop at once.
 */
export async function retryOnConflict<R>(options: RetryOptions, attempt: () => Promise<R>): Promise<R> {
  const attempts = options.attempts ?? MAX_WRITE_ATTEMPTS;
  for (let tried = 1; tried <= attempts; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (tried < attempts) await pauseBeforeRetry(tried);
    }
  }
  throw new ConflictError(options.conflictMessage);
}

/** Short jittered pause so concurrent writers of one item do not retry in lockstep. */
function pauseBeforeRetry(tried: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * Math.min(tried, 8)));
}
