import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryAuditSink } from "../../app/common/audit";
import { createAccessTokenVerifier, type AccessTokenVerifier } from "../../app/common/auth/verifier";
import { silentLogger } from "../../app/common/log";
import type { ManagerDeps } from "../../app/manager/deps";
import { createManagerApp, MCP_PATH } from "../../app/manager/http/express";
import { startDynalite, type LocalDynamo } from "./dynalite";
import { createTestIssuer, type TestIssuer } from "./tokens";

export interface ManagerHarness {
  readonly url: URL;
  readonly dynamo: LocalDynamo;
  readonly issuer: TestIssuer;
  readonly audit: MemoryAuditSink;
  /** A real MCP client over Streamable HTTP, signed in as `sub`. */
  clientFor(sub: string, options?: { scopes?: readonly string[] }): Promise<Client>;
  /** Moves the manager's clock (all tools read time from it). */
  setNow(date: Date | undefined): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Replace the verifier (e.g. the local OpenID provider's). */
  readonly verifier?: AccessTokenVerifier;
  readonly issuerUrl?: string;
}

/** dynalite + the manager's express app on loopback + a token issuer. One per test file. */
export async function startManager(options: HarnessOptions = {}): Promise<ManagerHarness> {
  const dynamo = await startDynalite();
  const issuer = await createTestIssuer();
  const audit = new MemoryAuditSink();
  let fixedNow: Date | undefined;
  const deps: ManagerDeps = { db: dynamo.db, tables: dynamo.tables, audit, log: silentLogger, clock: () => fixedNow ?? new Date() };
  const verifier = options.verifier ?? createAccessTokenVerifier({ issuer: issuer.issuer, jwks: issuer.jwks, allowedClientIds: [issuer.clientId] });
  const app = createManagerApp({ deps, verifier, issuer: options.issuerUrl ?? issuer.issuer });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}${MCP_PATH}`);
  const clients: Client[] = [];
  return {
    url,
    dynamo,
    issuer,
    audit,
    async clientFor(sub, clientOptions = {}) {
      const token = await issuer.accessToken(sub, { scopes: clientOptions.scopes });
      return connectClient(url, token, clients);
    },
    setNow(date) {
      fixedNow = date;
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dynamo.close();
    },
  };
}

export async function connectClient(url: URL, token: string, registry?: Client[]): Promise<Client> {
  const client = new Client({ name: "healthmate-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  registry?.push(client);
  return client;
}

/** Calls a tool and returns its structured result, failing the test with the message on isError. */
export async function callOk<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) throw new Error(`${name} failed: ${textOf(result)}`);
  const text = textOf(result);
  expect(JSON.parse(text)).toEqual(result.structuredContent); // the text copy mirrors the structured content
  return result.structuredContent as T;
}

/** Calls a tool that must fail; returns the error text for assertions. */
export async function callError(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (!result.isError) throw new Error(`${name} was expected to fail but returned ${JSON.stringify(result.structuredContent)}`);
  return textOf(result);
}

export function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}
