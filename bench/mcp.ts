import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import autocannon from "autocannon";
import type { AddressInfo } from "node:net";
import { MemoryAuditSink } from "../app/common/audit";
import { createAccessTokenVerifier } from "../app/common/auth/verifier";
import { silentLogger } from "../app/common/log";
import { createManagerApp, MCP_PATH } from "../app/manager/http/express";
import { connectClient } from "../test/support/manager";
import { startDynalite } from "../test/support/dynalite";
import { createTestIssuer } from "../test/support/tokens";
import { measureLatency, measureThroughput, ms, ratio, verdict } from "./stats";

/**
 * MCP tools/call latency and throughput on loopback vs the same raw DynamoDB call on the same
 * dynalite. Targets (issue #2): tool call p50 ≤ 2x the raw call; ≥ 500 calls/s.
 */
export async function benchMcp(options: { iterations: number; seconds: number }): Promise<void> {
  const dynamo = await startDynalite("bench");
  const issuer = await createTestIssuer();
  const audit = new MemoryAuditSink();
  const app = createManagerApp({
    deps: { db: dynamo.db, tables: dynamo.tables, audit, log: silentLogger },
    verifier: createAccessTokenVerifier({ issuer: issuer.issuer, jwks: issuer.jwks, allowedClientIds: [issuer.clientId] }),
    issuer: issuer.issuer,
  });
  const server = await new Promise<import("node:http").Server>((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}${MCP_PATH}`);
  const token = await issuer.accessToken("bench-user");
  const client = await connectClient(url, token);
  await client.callTool({ name: "AddUser", arguments: { username: "Bench", timezone: "UTC" } });

  const { iterations, seconds } = options;
  const warmup = Math.min(200, iterations);
  const headers = {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2025-06-18",
  };
  const rawRead = () => dynamo.db.send(new GetCommand({ TableName: dynamo.tables.users, Key: { userId: "bench-user" } }));
  const rawWrite = (i: number) =>
    dynamo.db.send(new PutCommand({ TableName: dynamo.tables.goals, Item: { userId: "bench-raw", goalId: `g-${i}`, goalType: "fitness", title: "Run", priority: 3, status: "active" } }));
  const post = (name: string, args: Record<string, unknown>) => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } });
    return async () => {
      const response = await fetch(url, { method: "POST", headers, body });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      await response.text();
    };
  };

  console.log(`\nMCP tools/call on loopback vs the raw DynamoDB call on the same dynalite, ${iterations} sequential calls each`);
  for (const [label, name, args, raw] of [
    ["read  GetUser vs GetItem", "GetUser", {}, rawRead],
    ["write AddGoal vs PutItem", "AddGoal", { goalType: "fitness", title: "Run 5 km" }, rawWrite],
  ] as const) {
    const rawLatency = await measureLatency(iterations, warmup, raw);
    const viaHttp = await measureLatency(iterations, warmup, post(name, args));
    const viaClient = await measureLatency(iterations, warmup, () => client.callTool({ name, arguments: args }));
    console.log(`  ${label}:`);
    console.log(`    raw DynamoDB call        p50 ${ms(rawLatency.p50)} p99 ${ms(rawLatency.p99)}`);
    console.log(
      `    HTTP POST tools/call     p50 ${ms(viaHttp.p50)} p99 ${ms(viaHttp.p99)} | p50 ${ratio(viaHttp.p50 / rawLatency.p50)} raw (target ≤ 2x: ${verdict(viaHttp.p50 / rawLatency.p50 <= 2)})`,
    );
    console.log(`    MCP SDK Client.callTool  p50 ${ms(viaClient.p50)} p99 ${ms(viaClient.p99)} | p50 ${ratio(viaClient.p50 / rawLatency.p50)} raw (client-side work included)`);
  }

  // Throughput: real HTTP load from autocannon (10 connections), JSON-RPC tools/call bodies.
  for (const [label, name, args] of [
    ["read  GetUser", "GetUser", {}],
    ["write AddGoal", "AddGoal", { goalType: "fitness", title: "Run" }],
  ] as const) {
    const result = await autocannon({
      url: url.toString(),
      method: "POST",
      connections: 10,
      duration: seconds,
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }),
    });
    const rawRate = await measureThroughput(10, seconds * 1000, name === "GetUser" ? rawRead : rawWrite);
    const perSecond = result.requests.average;
    console.log(
      `  ${label}: ${perSecond.toFixed(0)} calls/s (non-2xx ${result.non2xx}, errors ${result.errors}) | raw ${rawRate.toFixed(0)} calls/s | target ≥ 500: ${verdict(perSecond >= 500)}`,
    );
  }
  const failed = audit.records.filter((record) => record.outcome !== "ok").length;
  console.log(`  audit records: ${audit.records.length} (${failed} not ok)`);

  await client.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await dynamo.close();
}
