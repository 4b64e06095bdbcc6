import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { JsonLineAuditSink, type AuditSink } from "../common/audit";
import { createAccessTokenVerifier } from "../common/auth/verifier";
import { silentLogger, type Logger } from "../common/log";
import type { ManagerDeps } from "../manager/deps";
import { createManagerApp, MCP_PATH } from "../manager/http/express";
import { ensureTables } from "../manager/store/bootstrap";
import { tableNamesFor } from "../manager/store/catalogue";
import { documentClient } from "../manager/store/client";
import { closeServer, listen } from "./net";
import { DEFAULT_RESOURCE, LOCAL_CLIENT_IDS, LocalClientId } from "./oidc/clients";
import { startOidcProvider } from "./oidc/provider";
import { DEFAULT_HOME, localPaths } from "./paths";
import { processAlive, readRuntimeInfo, removeRuntimeInfo, RuntimeNotRunningError, writeRuntimeInfo, type RuntimeInfo } from "./runtimeFile";
import { Supervisor } from "./supervisor";

/**
 * The local runtime behind `npm start` (ARCHITECTURE §5): dynalite with its data on disk, the
 * local OpenID provider, and the manager's MCP server, each on a loopback port. A small
 * supervisor of services: later issues add the coach, the UI and the local edge to it.
 */
export interface LocalRuntimeOptions {
  /** Data directory. @default DEFAULT_HOME (`.healthmate`, relative to the working directory) */
  readonly home?: string;
  /** Ports per service; 0 = any free port. @default DEFAULT_PORTS */
  readonly ports?: Partial<LocalPorts>;
  /** Redirect URIs of the `healthmate-ui` client. @default DEFAULT_UI_REDIRECT_URIS */
  readonly uiRedirectUris?: readonly string[];
  /** Environment suffix of the table names. @default "local" */
  readonly environment?: string;
  /** Operational log. @default - silent */
  readonly log?: Logger;
  /** Where tool-call audit records go. @default - JSON lines on stdout */
  readonly audit?: AuditSink;
  /** @default process.pid */
  readonly pid?: number;
}

export interface LocalPorts {
  readonly dynamodb: number;
  readonly oidc: number;
  readonly manager: number;
}

export const DEFAULT_PORTS: LocalPorts = { dynamodb: 4100, oidc: 4101, manager: 4102 };

/** Loopback only: nothing local is reachable from the network. */
const HOST = "127.0.0.1";

export interface LocalRuntime {
  readonly info: RuntimeInfo;
  /** Stops every service and removes runtime.json; safe to call twice. */
  stop(): Promise<void>;
}

/** Another runtime already runs on this data directory. */
export class RuntimeAlreadyRunningError extends Error {
  constructor(
    readonly pid: number,
    readonly startedAt: string,
  ) {
    super(`the local runtime is already running for this data directory (pid ${pid}, started ${startedAt}); stop it with Ctrl-C in its terminal or \`kill ${pid}\` (if that process is not the runtime, delete runtime.json in the data directory)`);
    this.name = "RuntimeAlreadyRunningError";
  }
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const paths = localPaths(options.home ?? DEFAULT_HOME);
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  const pid = options.pid ?? process.pid;
  const log = options.log ?? silentLogger;
  await mkdir(paths.home, { recursive: true, mode: 0o700 });
  await refuseSecondRuntime(paths, log);

  const supervisor = new Supervisor();
  try {
    const dynamo = await supervisor.start("dynamodb", async () => {
      await mkdir(paths.dynamodbDir, { recursive: true });
      const server = dynalite({ path: paths.dynamodbDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
      const port = await listen(server, ports.dynamodb, HOST, "DynamoDB (dynalite)");
      const endpoint = `http://${HOST}:${port}`;
      const client = new DynamoDBClient({ endpoint, region: "us-west-2", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
      return {
        value: { endpoint, client },
        async stop() {
          client.destroy();
          await closeServer(server);
        },
      };
    });
    const tables = tableNamesFor(options.environment ?? "local");
    try {
      await ensureTables(dynamo.client, tables);
    } catch (error) {
      throw new Error(`could not open the local DynamoDB store in ${paths.dynamodbDir}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }

    // The manager's port is bound before the provider starts so the provider can accept the
    // MCP endpoint as a resource indicator (RFC 8707), as MCP clients send it.
    const managerServer: Server = createServer();
    const managerPort = await supervisor.start("manager", async () => ({
      value: await listen(managerServer, ports.manager, HOST, "HealthManager (MCP)"),
      stop: () => closeServer(managerServer),
    }));
    const managerBaseUrl = `http://${HOST}:${managerPort}`;
    const mcpUrl = `${managerBaseUrl}${MCP_PATH}`;

    const oidc = await supervisor.start("oidc", async () => {
      const provider = await startOidcProvider({
        dataDir: paths.oidcDir,
        host: HOST,
        port: ports.oidc,
        uiRedirectUris: options.uiRedirectUris,
        resources: [DEFAULT_RESOURCE, mcpUrl],
        log,
      });
      return { value: provider, stop: () => provider.close() };
    });

    const deps: ManagerDeps = {
      db: documentClient(dynamo.client),
      tables,
      audit: options.audit ?? new JsonLineAuditSink(),
      log,
    };
    const verifier = createAccessTokenVerifier({ issuer: oidc.issuer, jwksUrl: new URL(oidc.jwksUrl), allowedClientIds: LOCAL_CLIENT_IDS });
    managerServer.on("request", createManagerApp({ deps, verifier, issuer: oidc.issuer }));

    const info: RuntimeInfo = {
      version: 1,
      pid,
      startedAt: new Date().toISOString(),
      home: paths.home,
      issuer: oidc.issuer,
      jwksUrl: oidc.jwksUrl,
      discoveryUrl: oidc.discoveryUrl,
      mcpUrl,
      resourceMetadataUrl: `${managerBaseUrl}/.well-known/oauth-protected-resource${MCP_PATH}`,
      dynamodbEndpoint: dynamo.endpoint,
      clientIds: { ui: LocalClientId.Ui, cli: LocalClientId.Cli },
      tables: { ...tables },
    };
    await writeRuntimeInfo(paths, info);
    supervisor.onStop("runtime.json", () => removeRuntimeInfo(paths, pid));
    log.info("local runtime started", { issuer: info.issuer, mcpUrl: info.mcpUrl, dynamodbEndpoint: info.dynamodbEndpoint });
    return { info, stop: () => supervisor.stopAll() };
  } catch (error) {
    await supervisor.stopAll().catch(() => undefined);
    throw error;
  }
}

async function refuseSecondRuntime(paths: ReturnType<typeof localPaths>, log: Logger): Promise<void> {
  try {
    const existing = await readRuntimeInfo(paths);
    if (processAlive(existing.pid)) throw new RuntimeAlreadyRunningError(existing.pid, existing.startedAt);
    log.warn("removing a stale runtime.json left by a runtime that did not stop cleanly", { pid: existing.pid });
  } catch (error) {
    if (error instanceof RuntimeNotRunningError) return;
    if (error instanceof RuntimeAlreadyRunningError) throw error;
    log.warn("ignoring an unreadable runtime.json", { error: error instanceof Error ? error.message : String(error) });
  }
}
