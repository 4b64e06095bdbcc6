import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { fileURLToPath } from "node:url";
import { JsonLineAuditSink, type AuditSink } from "../common/audit";
import { createAccessTokenVerifier } from "../common/auth/verifier";
import { silentLogger, type Logger } from "../common/log";
import type { ManagerDeps } from "../manager/deps";
import { createManagerApp, MCP_PATH } from "../manager/http/express";
import { ensureTables } from "../manager/store/bootstrap";
import { tableNamesFor } from "../manager/store/catalogue";
import { documentClient } from "../manager/store/client";
import { ColourHosts, HOSTED_SERVICES, type RunningHost } from "./colourHosts";
import { ReleaseStateKvs } from "./edge/kvs";
import { EdgeRouter } from "./edge/routerHost";
import { createEdgeHandler } from "./edge/server";
import { stageFirstReleaseIfNeeded } from "./firstRelease";
import { closeServer, listen } from "./net";
import { DEFAULT_RESOURCE, LOCAL_CLIENT_IDS, LocalClientId } from "./oidc/clients";
import { startOidcProvider } from "./oidc/provider";
import { DEFAULT_HOME, localPaths } from "./paths";
import { processAlive } from "../common/process";
import { readRuntimeInfo, removeRuntimeInfo, RuntimeNotRunningError, writeRuntimeInfo, type RuntimeInfo } from "./runtimeFile";
import { COLOURS, type ApiService } from "../../modules/release/router/contract";
import type { ReleaseState } from "../../release/state";
import { Supervisor } from "./supervisor";

/**
 * The local runtime behind `npm start` (ARCHITECTURE §5): dynalite with its data on disk, the
 * local OpenID provider, the manager's MCP server from the current source, and the releases:
 * one function host per staged version in the blue and green slots and the local edge in front
 * of them (and of the UI builds), which runs the same router functions as CloudFront against
 * the `local` release state. Each on a loopback port, under a small supervisor.
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
  /** The checkout releases are built from. @default - the checkout this file is in */
  readonly projectRoot?: string;
  /** Build and stage a first version when none is staged (fresh clone). @default true */
  readonly stageFirstRelease?: boolean;
  /** Where the function hosts' output (the functions' logs, audit lines) goes. @default "inherit" */
  readonly hostOutput?: "inherit" | "ignore";
}

export interface LocalPorts {
  readonly dynamodb: number;
  readonly oidc: number;
  readonly manager: number;
  /** The local edge: UI and MCP of the released colours. */
  readonly edge: number;
}

export const DEFAULT_PORTS: LocalPorts = { dynamodb: 4100, oidc: 4101, manager: 4102, edge: 4103 };
const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

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

    // The edge's port too: its /mcp is the URL MCP clients of the released colours use.
    const edgeServer: Server = createServer();
    const edgePort = await supervisor.start("edge", async () => ({
      value: await listen(edgeServer, ports.edge, HOST, "local edge"),
      stop: () => closeServer(edgeServer),
    }));
    const edgeUrl = `http://${HOST}:${edgePort}`;

    const oidc = await supervisor.start("oidc", async () => {
      const provider = await startOidcProvider({
        dataDir: paths.oidcDir,
        host: HOST,
        port: ports.oidc,
        uiRedirectUris: options.uiRedirectUris,
        resources: [DEFAULT_RESOURCE, mcpUrl, `${edgeUrl}${MCP_PATH}`],
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

    // Releases: the first version on a fresh clone, the colour hosts, the edge.
    const projectRoot = options.projectRoot ?? PROJECT_ROOT;
    if (options.stageFirstRelease ?? true) await stageFirstReleaseIfNeeded({ paths, projectRoot, log });
    const kvs = new ReleaseStateKvs(paths.releaseStateFile, { log: (message, fields) => log.warn(message, fields) });
    supervisor.onStop("release state watch", async () => kvs.close());
    const runtimeFile = new RuntimeFileWriter(paths, pid);
    // Only the edge knows it: the function hosts refuse requests that did not come through it.
    const originSecret = randomBytes(32).toString("base64url");
    const hosts = new ColourHosts({
      releasesDir: paths.releasesDir,
      projectRoot,
      output: options.hostOutput,
      log,
      environment: {
        issuer: oidc.issuer,
        jwksUrl: oidc.jwksUrl,
        clientIds: LOCAL_CLIENT_IDS,
        tables,
        dynamodbEndpoint: dynamo.endpoint,
        publicBaseUrl: edgeUrl,
        originSecret,
      },
      onChange: () => runtimeFile.update((info) => ({ ...info, colourHosts: colourHosts(hosts.running(), kvs.current()) })),
    });
    supervisor.onStop("colour hosts", () => hosts.stopAll());
    kvs.onChange((state) => {
      log.info("release state changed", { revision: state?.revision, stableColour: state?.stableColour, canaryWeight: state?.canaryWeight });
      hosts.reconcile(state);
      runtimeFile.update((info) => ({ ...info, colourHosts: colourHosts(hosts.running(), state) }));
    });
    hosts.reconcile(kvs.current());
    // Print the URLs once the staged versions answer (a host that fails is logged and retried on request).
    await Promise.allSettled(referencedVersions(kvs.current()).map(({ service, version }) => hosts.host(service, version)));
    kvs.watch();

    const edge = createEdgeHandler({
      router: new EdgeRouter({ kvs, log: (message) => log.warn("edge router", { message }) }),
      refreshState: () => kvs.refresh(),
      currentState: () => kvs.current(),
      host: (service, version) => hosts.host(service, version),
      releasesDir: paths.releasesDir,
      originSecret,
      log,
    });
    edgeServer.on("request", edge);
    supervisor.onStop("edge connections", async () => edge.close());

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
      edgeUrl,
      colourHosts: colourHosts(hosts.running(), kvs.current()),
    };
    await runtimeFile.write(info);
    supervisor.onStop("runtime.json", () => runtimeFile.remove());
    log.info("local runtime started", { issuer: info.issuer, mcpUrl: info.mcpUrl, edgeUrl, dynamodbEndpoint: info.dynamodbEndpoint });
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

/** The API service versions the blue and green slots name, once each. */
function referencedVersions(state: ReleaseState | undefined): { service: ApiService; version: string }[] {
  const result = new Map<string, { service: ApiService; version: string }>();
  for (const service of HOSTED_SERVICES) {
    for (const colour of COLOURS) {
      const version = state?.services[service]?.[colour];
      if (version) result.set(`${service}@${version}`, { service, version });
    }
  }
  return [...result.values()];
}

/** The running colour hosts as runtime.json lists them, with the colours whose slot names each version. */
function colourHosts(running: readonly RunningHost[], state: ReleaseState | undefined): RuntimeInfo["colourHosts"] {
  return running.map((host) => ({
    service: host.service,
    version: host.version,
    colours: COLOURS.filter((colour) => state?.services[host.service]?.[colour] === host.version),
    url: host.url,
    pid: host.pid,
  }));
}

/** runtime.json while the runtime runs: written once up, rewritten (in order) when the colour hosts change. */
class RuntimeFileWriter {
  private info: RuntimeInfo | undefined;
  private queue: Promise<void> = Promise.resolve();
  private removed = false;

  constructor(
    private readonly paths: ReturnType<typeof localPaths>,
    private readonly pid: number,
  ) {}

  async write(info: RuntimeInfo): Promise<void> {
    this.info = info;
    await writeRuntimeInfo(this.paths, info);
  }

  update(change: (info: RuntimeInfo) => RuntimeInfo): void {
    if (!this.info || this.removed) return;
    this.info = change(this.info);
    this.enqueue();
  }

  remove(): Promise<void> {
    this.removed = true;
    this.queue = this.queue.then(() => removeRuntimeInfo(this.paths, this.pid));
    return this.queue;
  }

  private enqueue(): void {
    this.queue = this.queue.then(async () => {
      if (this.removed || !this.info) return;
      await writeRuntimeInfo(this.paths, this.info).catch(() => undefined); // the next change writes again
    });
  }
}
