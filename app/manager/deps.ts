import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { AuditSink } from "../common/audit";
import type { Logger } from "../common/log";
import type { TableNames } from "./store/catalogue";

/** Everything the manager needs from the world, injected (STYLE §10). */
export interface ManagerDeps {
  readonly db: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly audit: AuditSink;
  readonly log: Logger;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** Time-ordered unique ids. @default uuid v7 */
  readonly newId?: () => string;
}

/** What a tool handler sees: the deps plus the verified caller. */
export interface ToolContext {
  readonly db: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly log: Logger;
  readonly now: () => Date;
  readonly newId: () => string;
  /** The verified access token's `sub`. The only source of the user id. */
  readonly userId: string;
  readonly requestId: string;
}
