import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Construct } from "constructs";
import { TABLE_KEYS, Tables, tableNamesFor, type TableDefinition, type TableKey, type TableNames } from "../app/manager/store/catalogue";
import { isProtectedEnvironment, type Environment } from "./config";
import type { EncryptionKey } from "./key";
import type { IGrantable } from "./policy";

/**
 * Every item-level action the manager may perform. No Scan, no table administration, no
 * PartiQL and no transactions (dynalite lacks them; ARCHITECTURE §3).
 */
export const ITEM_ACTIONS: readonly string[] = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:Query",
  "dynamodb:BatchGetItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
];

export interface HealthTablesProps {
  readonly environment: Environment;
  /** Customer-managed key for server-side encryption of every table. */
  readonly encryptionKey: EncryptionKey;
  /**
   * The table catalogue to render.
   * @default - the manager's catalogue (app/manager/store/catalogue.ts)
   */
  readonly catalogue?: Readonly<Record<TableKey, TableDefinition>>;
  /**
   * Refuse DeleteTable.
   * @default - true in stage and prod, false in local and dev
   */
  readonly deletionProtection?: boolean;
  /**
   * Point-in-time recovery window, 1-35 days.
   * @default 35
   */
  readonly recoveryPeriodInDays?: number;
}

/**
 * Renders the table catalogue into DynamoDB tables: on-demand, point-in-time recovery, SSE with
 * the customer-managed key, local indexes and TTL exactly as catalogued. The same catalogue
 * creates the local dynalite tables, so the two cannot drift.
 */
export class HealthTables extends Construct {
  /** Physical names (Terraform references) by catalogue key: the manager's HEALTHMATE_TABLES. */
  readonly tableNames: TableNames;
  private readonly tables: ReadonlyMap<TableKey, DynamodbTable>;
  private readonly catalogue: Readonly<Record<TableKey, TableDefinition>>;
  private readonly encryptionKey: EncryptionKey;

  constructor(scope: Construct, id: string, props: HealthTablesProps) {
    super(scope, id);
    const recoveryPeriodInDays = props.recoveryPeriodInDays ?? 35;
    this.validateRecoveryPeriod(recoveryPeriodInDays);
    this.catalogue = props.catalogue ?? Tables;
    this.encryptionKey = props.encryptionKey;
    const deletionProtection = props.deletionProtection ?? isProtectedEnvironment(props.environment);
    const names = tableNamesFor(props.environment);

    const tables = new Map<TableKey, DynamodbTable>();
    for (const key of TABLE_KEYS) {
      const definition = this.catalogue[key];
      tables.set(
        key,
        new DynamodbTable(this, key, {
          name: names[key],
          billingMode: "PAY_PER_REQUEST",
          hashKey: definition.partitionKey.name,
          rangeKey: definition.sortKey?.name,
          attribute: keyAttributes(definition),
          localSecondaryIndex: definition.localIndexes?.map((index) => ({ name: index.name, rangeKey: index.sortKey.name, projectionType: "ALL" })),
          pointInTimeRecovery: { enabled: true, recoveryPeriodInDays },
          serverSideEncryption: { enabled: true, kmsKeyArn: props.encryptionKey.arn },
          deletionProtectionEnabled: deletionProtection,
          ttl: definition.ttlAttribute ? { enabled: true, attributeName: definition.ttlAttribute } : undefined,
        }),
      );
    }
    this.tables = tables;
    this.tableNames = Object.fromEntries(TABLE_KEYS.map((key) => [key, this.table(key).name])) as TableNames;
  }

  table(key: TableKey): DynamodbTable {
    const table = this.tables.get(key);
    if (!table) throw new Error(`HealthTables: no table '${key}'; the catalogue has ${TABLE_KEYS.join(", ")}`);
    return table;
  }

  /**
   * Item actions on exactly these tables (and the indexes of tables that have any), plus use of
   * the table key through DynamoDB only. Nothing else: no `*` actions or resources.
   */
  grantItemAccess(grantee: IGrantable): void {
    const resources = TABLE_KEYS.flatMap((key) => {
      const arn = this.table(key).arn;
      return this.catalogue[key].localIndexes?.length ? [arn, `${arn}/index/*`] : [arn];
    });
    grantee.addToRolePolicy({ sid: "TableItemAccess", actions: ITEM_ACTIONS, resources });
    this.encryptionKey.grantEncryptDecryptVia(grantee, "dynamodb");
  }

  private validateRecoveryPeriod(days: number): void {
    if (!Number.isInteger(days) || days < 1 || days > 35) {
      throw new Error(`HealthTables: recoveryPeriodInDays must be an integer 1-35, got ${days}`);
    }
  }
}

/** Attribute definitions: only key attributes of the table and its indexes (DynamoDB's rule). */
function keyAttributes(definition: TableDefinition): { name: string; type: string }[] {
  const attributes = new Map<string, string>([[definition.partitionKey.name, definition.partitionKey.type]]);
  if (definition.sortKey) attributes.set(definition.sortKey.name, definition.sortKey.type);
  for (const index of definition.localIndexes ?? []) attributes.set(index.sortKey.name, index.sortKey.type);
  return [...attributes].map(([name, type]) => ({ name, type }));
}
