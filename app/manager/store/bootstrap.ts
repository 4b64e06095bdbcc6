import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, type CreateTableCommandInput, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { TABLE_KEYS, Tables, type TableDefinition, type TableNames } from "./catalogue";

/** CreateTable input for one catalogue entry (local runtime and tests; AWS uses the stack). */
export function createTableInput(definition: TableDefinition, tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, string>();
  const keySchema: { AttributeName: string; KeyType: "HASH" | "RANGE" }[] = [{ AttributeName: definition.partitionKey.name, KeyType: "HASH" }];
  attributes.set(definition.partitionKey.name, definition.partitionKey.type);
  if (definition.sortKey) {
    keySchema.push({ AttributeName: definition.sortKey.name, KeyType: "RANGE" });
    attributes.set(definition.sortKey.name, definition.sortKey.type);
  }
  for (const index of definition.localIndexes ?? []) attributes.set(index.sortKey.name, index.sortKey.type);
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    KeySchema: keySchema,
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType: AttributeType as "S" | "N" })),
    LocalSecondaryIndexes: definition.localIndexes?.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: definition.partitionKey.name, KeyType: "HASH" },
        { AttributeName: index.sortKey.name, KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    })),
  };
}

/** Creates every catalogue table that does not exist yet and waits until all are ACTIVE. */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all(
    TABLE_KEYS.map(async (key) => {
      const tableName = names[key];
      try {
        await client.send(new DescribeTableCommand({ TableName: tableName }));
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
        await client.send(new CreateTableCommand(createTableInput(Tables[key], tableName)));
      }
      for (let attempt = 0; attempt < 200; attempt++) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
        if (Table?.TableStatus === "ACTIVE") return;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`table ${tableName} did not become ACTIVE`);
    }),
  );
}
