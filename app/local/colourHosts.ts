import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Logger } from "../common/log";
import { MANAGER_ENV } from "../manager/configKeys";
import type { TableNames } from "../manager/store/catalogue";
import { ORIGIN_GUARD_ENV } from "../../modules/release/origin-guard";
import { COLOURS, type ApiService } from "../../modules/release/router/contract";
import type { ReleaseState } from "../../release/state";
import type { HostReadyMessage } from "./functionHostProcess";
import { releaseBundleFile } from "./releases";

/**
 * The local runtime's colour hosts: one function host process (functionHostProcess.ts) per
 * staged version of each API service that a blue or green slot references — the local
 * counterpart of the Lambda versions behind the `blue` and `green` aliases. `reconcile` is
 * called with every new release state: it starts hosts for newly referenced versions and stops
 * hosts no slot references; running hosts are never restarted.
 */

/** The origin secret's variable: the edge adds it as a header, the function refuses requests without it. */
export const ORIGIN_SECRET_ENV = ORIGIN_GUARD_ENV.secrets;

/** What every function host gets: the manager's configuration as the stack sets it on Lambda. */
export interface FunctionEnvironment {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly clientIds: readonly string[];
  readonly tables: TableNames;
  readonly dynamodbEndpoint: string;
  /** The edge's URL: the public base URL the function names in its metadata. */
  readonly publicBaseUrl: string;
  readonly originSecret: string;
}

export interface ColourHostsOptions {
  readonly releasesDir: string;
  readonly environment: FunctionEnvironment;
  /** The checkout (tsx and the host entry are resolved from here). @default - this file's checkout */
  readonly projectRoot?: string;
  /** Where the hosts' stdout/stderr (the functions' logs and audit lines) go. @default "inherit" */
  readonly output?: "inherit" | "ignore";
  /** @default 30 000 */
  readonly startTimeoutMs?: number;
  readonly log: Logger;
  /** Called when the set of running hosts changes (runtime.json lists them). */
  readonly onChange?: () => void;
}

/** Services the local runtime can host (coach joins when its bundle exists). */
export const HOSTED_SERVICES: readonly ApiService[] = ["manager", "coach"];

export interface RunningHost {
  readonly service: ApiService;
  readonly version: string;
  readonly url: string;
  readonly pid: number;
}

interface HostEntry {
  readonly service: ApiService;
  readonly version: string;
  ready?: Promise<RunningHost>;
  child?: ChildProcess;
  host?: RunningHost;
  failedAt?: number;
}

const RETRY_AFTER_FAILURE_MS = 5_000;
const HOST_ENTRY = fileURLToPath(new URL("./functionHostProcess.ts", import.meta.url));

export class ColourHosts {
  private readonly hosts = new Map<string, HostEntry>();
  private stopped = false;

  constructor(private readonly options: ColourHostsOptions) {}

  /** Starts hosts for every version a slot references (whose bundle exists) and stops the rest. */
  reconcile(state: ReleaseState | undefined): void {
    if (this.stopped) return;
    const wanted = new Set<string>();
    for (const service of HOSTED_SERVICES) {
      const slots = state?.services[service];
      for (const colour of COLOURS) {
        const version = slots?.[colour];
        if (!version) continue;
        if (!existsSync(releaseBundleFile(this.options.releasesDir, version, service))) {
          this.options.log.warn("a slot names a version without a local build; its requests will fail until it is staged again", { service, colour, version });
          continue;
        }
        wanted.add(key(service, version));
        this.ensure(service, version).catch(() => undefined); // failures surface on request and in the log
      }
    }
    for (const [name, entry] of this.hosts) {
      if (!wanted.has(name)) void this.stop(name, entry, "no slot references its version");
    }
  }

  /** The running host of a version, started on demand; rejects when it cannot start. */
  host(service: ApiService, version: string): Promise<RunningHost> {
    if (this.stopped) return Promise.reject(new Error("the local runtime is stopping"));
    return this.ensure(service, version);
  }

  running(): RunningHost[] {
    return [...this.hosts.values()].flatMap((entry) => (entry.host ? [entry.host] : [])).sort((a, b) => a.service.localeCompare(b.service) || Number(a.version) - Number(b.version));
  }

  async stopAll(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.hosts].map(([name, entry]) => this.stop(name, entry, "the runtime is stopping")));
  }

  private ensure(service: ApiService, version: string): Promise<RunningHost> {
    const name = key(service, version);
    const existing = this.hosts.get(name);
    if (existing?.ready && (existing.failedAt === undefined || Date.now() - existing.failedAt < RETRY_AFTER_FAILURE_MS)) return existing.ready;
    const entry: HostEntry = { service, version };
    const ready = this.spawnHost(entry);
    entry.ready = ready;
    ready.then(
      (host) => {
        entry.host = host;
        this.options.log.info("function host started", { service, version, url: host.url, pid: host.pid });
        this.options.onChange?.();
      },
      (error: unknown) => {
        entry.failedAt = Date.now();
        this.options.log.error("function host failed to start", { service, version, error: error instanceof Error ? error.message : String(error) });
      },
    );
    this.hosts.set(name, entry);
    return ready;
  }

  private spawnHost(entry: HostEntry): Promise<RunningHost> {
    const { service, version } = entry;
    const bundle = releaseBundleFile(this.options.releasesDir, version, service);
    const projectRoot = this.options.projectRoot ?? resolve(fileURLToPath(new URL("../../", import.meta.url)));
    const tsx = pathToFileURL(createRequire(resolve(projectRoot, "package.json")).resolve("tsx")).href;
    const output = this.options.output ?? "inherit";
    const child = spawn(process.execPath, ["--import", tsx, HOST_ENTRY, bundle, "0"], {
      cwd: projectRoot,
      env: this.functionEnv(service, version),
      stdio: ["ignore", output, output, "ipc"],
    });
    entry.child = child;
    return new Promise<RunningHost>((done, fail) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        fail(new Error(`the ${service} host of version ${version} did not start within ${this.options.startTimeoutMs ?? 30_000} ms`));
      }, this.options.startTimeoutMs ?? 30_000);
      child.once("message", (message: HostReadyMessage) => {
        clearTimeout(timer);
        if (message?.type !== "ready") return fail(new Error(`unexpected message from the ${service} host: ${JSON.stringify(message)}`));
        done({ service, version, url: `http://127.0.0.1:${message.port}`, pid: child.pid as number });
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        fail(new Error(`the ${service} host of version ${version} exited (${signal ?? `code ${code}`}) before it was ready`));
        // A host that dies later is forgotten, so the next request starts it again.
        const name = key(service, version);
        if (this.hosts.get(name)?.child === child) {
          this.hosts.delete(name);
          if (entry.host) {
            this.options.log.warn("function host exited", { service, version, code, signal });
            this.options.onChange?.();
          }
        }
      });
    });
  }

  private async stop(name: string, entry: HostEntry, reason: string): Promise<void> {
    this.hosts.delete(name);
    const child = entry.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
    if (entry.host) {
      this.options.log.info("function host stopped", { service: entry.service, version: entry.version, reason });
      this.options.onChange?.();
    }
  }

  /** A Lambda-like environment: only the function's configuration, nothing inherited. */
  private functionEnv(service: ApiService, version: string): NodeJS.ProcessEnv {
    const environment = this.options.environment;
    return {
      PATH: process.env.PATH,
      AWS_REGION: "us-west-2",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: environment.dynamodbEndpoint,
      AWS_LAMBDA_FUNCTION_NAME: `healthmate-${service}-local`,
      AWS_LAMBDA_FUNCTION_VERSION: version,
      // Lambda runs Node 22; the SDK's notice about this machine's Node 20 is noise here.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      [MANAGER_ENV.issuer]: environment.issuer,
      [MANAGER_ENV.jwksUrl]: environment.jwksUrl,
      [MANAGER_ENV.clientIds]: environment.clientIds.join(","),
      [MANAGER_ENV.tables]: JSON.stringify(environment.tables),
      [MANAGER_ENV.publicBaseUrl]: environment.publicBaseUrl,
      [ORIGIN_SECRET_ENV]: environment.originSecret,
    };
  }
}

function key(service: string, version: string): string {
  return `${service}@${version}`;
}
