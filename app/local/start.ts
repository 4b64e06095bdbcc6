/**
 * `npm start`: the local runtime in the foreground (dynalite, the local OpenID provider, the
 * manager from the current source, a function host per staged version and the local edge in
 * front of them). The only place that reads the environment for it; everything else is in
 * runtime.ts.
 *
 *   HEALTHMATE_HOME            data directory                          (default .healthmate)
 *   HEALTHMATE_DYNAMODB_PORT   dynalite                                (default 4100)
 *   HEALTHMATE_OIDC_PORT       OpenID provider                         (default 4101)
 *   HEALTHMATE_MANAGER_PORT    HealthManager MCP server, current source (default 4102)
 *   HEALTHMATE_EDGE_PORT       local edge: UI + MCP of the released colours (default 4103)
 *   HEALTHMATE_UI_REDIRECT_URIS  comma-separated redirect URIs of the healthmate-ui client
 *   (a port of 0 picks any free port; runtime.json tells which)
 */
import { jsonLogger } from "../common/log";
import { parsePort, PortInUseError } from "./net";
import { DEFAULT_HOME } from "./paths";
import { DEFAULT_PORTS, startLocalRuntime, type LocalPorts, type LocalRuntime } from "./runtime";

export const LOCAL_ENV = {
  home: "HEALTHMATE_HOME",
  dynamodbPort: "HEALTHMATE_DYNAMODB_PORT",
  oidcPort: "HEALTHMATE_OIDC_PORT",
  managerPort: "HEALTHMATE_MANAGER_PORT",
  edgePort: "HEALTHMATE_EDGE_PORT",
  uiRedirectUris: "HEALTHMATE_UI_REDIRECT_URIS",
} as const;

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const home = env[LOCAL_ENV.home] || DEFAULT_HOME;
  let ports: LocalPorts;
  try {
    ports = {
      dynamodb: parsePort(env[LOCAL_ENV.dynamodbPort], DEFAULT_PORTS.dynamodb, LOCAL_ENV.dynamodbPort),
      oidc: parsePort(env[LOCAL_ENV.oidcPort], DEFAULT_PORTS.oidc, LOCAL_ENV.oidcPort),
      manager: parsePort(env[LOCAL_ENV.managerPort], DEFAULT_PORTS.manager, LOCAL_ENV.managerPort),
      edge: parsePort(env[LOCAL_ENV.edgePort], DEFAULT_PORTS.edge, LOCAL_ENV.edgePort),
    };
  } catch (error) {
    return fail((error as Error).message);
  }
  const uiRedirectUris = env[LOCAL_ENV.uiRedirectUris]
    ?.split(",")
    .map((uri) => uri.trim())
    .filter(Boolean);

  let runtime: LocalRuntime;
  try {
    runtime = await startLocalRuntime({ home, ports, uiRedirectUris, log: jsonLogger("local") });
  } catch (error) {
    if (error instanceof PortInUseError) {
      const variable = portVariable(ports, error.port);
      return fail(`${error.message}.${variable ? ` Free the port or choose another: ${variable}=<port> npm start` : ""}`);
    }
    return fail(error instanceof Error ? error.message : String(error));
  }

  const { info } = runtime;
  const colours = info.colourHosts.length
    ? info.colourHosts.map((host) => `  ${`${host.service} version ${host.version}`.padEnd(27)} ${host.url}   (${host.colours.join(", ") || "no slot"})`)
    : ["  (no staged version is running; see the log above)"];
  process.stdout.write(
    [
      "",
      "Healthmate local runtime is up",
      `  edge (released colours)     ${info.edgeUrl}   UI at /, MCP at ${info.edgeUrl}/mcp`,
      ...colours,
      `  MCP server (current source) ${info.mcpUrl}`,
      `  OpenID provider (issuer)    ${info.issuer}   (sign-in page, accounts)`,
      `  JWKS                        ${info.jwksUrl}`,
      `  DynamoDB (dynalite)         ${info.dynamodbEndpoint}`,
      `  data directory              ${info.home}`,
      `  runtime file                ${info.home}/runtime.json`,
      "",
      "Get an access token:   npm run token -- --user alice",
      `Call the MCP server:    Authorization: Bearer <token>  →  ${info.edgeUrl}/mcp (released) or ${info.mcpUrl} (current source)`,
      "Releases:              npm run release:status -- --env local   (stage, canary <0-100>, promote, rollback)",
      "Stop:                  Ctrl-C",
      "",
    ].join("\n") + "\n",
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting without a clean stop\n`);
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the local runtime…\n`);
    runtime.stop().then(
      () => {
        process.stdout.write("stopped.\n");
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`healthmate: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

function portVariable(ports: LocalPorts, port: number): string | undefined {
  if (port === ports.dynamodb) return LOCAL_ENV.dynamodbPort;
  if (port === ports.oidc) return LOCAL_ENV.oidcPort;
  if (port === ports.manager) return LOCAL_ENV.managerPort;
  if (port === ports.edge) return LOCAL_ENV.edgePort;
  return undefined;
}

function fail(message: string): void {
  process.stderr.write(`healthmate: ${message}\n`);
  process.exitCode = 1;
}

await main(process.env);
