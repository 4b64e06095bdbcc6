/**
 * The table catalogue: the one definition of every HealthManager table (keys, indexes, TTL).
 * The `manager` stack renders it into `aws_dynamodb_table` resources and the local runtime
 * creates the same tables in dynalite, so the two cannot drift (ARCHITECTURE §3).
 * Infrastructure depends on the app here, never the reverse.
 *
 * Every partition key is the user id — the verified token's `sub`, never a tool argument.
 */
export type AttributeType = "S" | "N";

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface LocalIndexDefinition {
  readonly name: string;
  /** Sort key of the index; the partition key is the table's. Sparse: items without it are absent. */
  readonly sortKey: KeyAttribute;
}

export interface TableDefinition {
  /** Logical name; the physical name is `healthmate-<logical>-<env>`. */
  readonly logicalName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly localIndexes?: readonly LocalIndexDefinition[];
  /** Attribute holding an epoch-seconds expiry. @default - no TTL */
  readonly ttlAttribute?: string;
}

const USER_ID: KeyAttribute = { name: "userId", type: "S" };

export const Tables = {
  users: { logicalName: "users", partitionKey: USER_ID },
  goals: { logicalName: "goals", partitionKey: USER_ID, sortKey: { name: "goalId", type: "S" } },
  policies: { logicalName: "policies", partitionKey: USER_ID, sortKey: { name: "policyId", type: "S" } },
  /** concernId is a UUIDv7: time-ordered, so a descending query is newest first. */
  concerns: { logicalName: "concerns", partitionKey: USER_ID, sortKey: { name: "concernId", type: "S" } },
  /** One item per user per day (`date` = YYYY-MM-DD) holding that day's activities. */
  activities: { logicalName: "activities", partitionKey: USER_ID, sortKey: { name: "date", type: "S" } },
  /**
   * One item per measurement. Sparse local indexes per metric (`<metric>At` = measuredAt#id,
   * present only when the metric is) make latest/oldest a one-item query that stays right after
   * updates, deletes and out-of-order entries.
   */
  bodyMeasurements: {
    logicalName: "body-measurements",
    partitionKey: USER_ID,
    sortKey: { name: "measurementId", type: "S" },
    localIndexes: [
      { name: "byMeasuredAt", sortKey: { name: "measuredAtKey", type: "S" } },
      { name: "byWeightAt", sortKey: { name: "weightAtKey", type: "S" } },
      { name: "byHeightAt", sortKey: { name: "heightAtKey", type: "S" } },
      { name: "byBodyFatAt", sortKey: { name: "bodyFatAtKey", type: "S" } },
    ],
  },
  /** One item per user per day (`date` = YYYY-MM-DD). */
  journals: { logicalName: "journals", partitionKey: USER_ID, sortKey: { name: "date", type: "S" } },
  observations: {
    logicalName: "observations",
    partitionKey: USER_ID,
    sortKey: { name: "observationId", type: "S" },
    localIndexes: [
      { name: "byStart", sortKey: { name: "startKey", type: "S" } },
      /** Sparse: present only while the observation is IN_PROGRESS. */
      { name: "inProgress", sortKey: { name: "inProgressKey", type: "S" } },
    ],
  },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof Tables;
export const TABLE_KEYS = Object.keys(Tables) as TableKey[];

/** Physical table names for one environment. */
export type TableNames = Readonly<Record<TableKey, string>>;

export function tableNamesFor(env: string, prefix = "healthmate"): TableNames {
  return Object.fromEntries(TABLE_KEYS.map((key) => [key, `${prefix}-${Tables[key].logicalName}-${env}`])) as TableNames;
}
