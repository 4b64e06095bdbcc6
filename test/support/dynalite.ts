import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import type { AddressInfo } from "node:net";
import { tableNamesFor, type TableNames } from "../../app/manager/store/catalogue";
import { ensureTables } from "../../app/manager/store/bootstrap";
import { documentClient } from "../../app/manager/store/client";

export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly db: DynamoDBDocumentClient;
  readonly tables: TableNames;
  close(): Promise<void>;
}

/** A real DynamoDB API (dynalite, in memory) on a free loopback port, with every catalogue table. */
export async function startDynalite(env = "test"): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: "us-west-2", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  const tables = tableNamesFor(env);
  await ensureTables(client, tables);
  return {
    endpoint,
    client,
    db: documentClient(client),
    tables,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
