/**
 * Entry point of one function host process (see functionHost.ts), started by the local runtime:
 *
 *   node --import tsx app/local/functionHostProcess.ts <bundle index.mjs> [port]
 *
 * The environment is the function's (as the stack sets it on Lambda) plus
 * AWS_LAMBDA_FUNCTION_VERSION. The process tells its parent the bound port over the IPC channel
 * and exits when the parent goes away, so a killed runtime leaves no host behind.
 */
import { pathToFileURL } from "node:url";
import { createFunctionHostServer, type FunctionHandler } from "./functionHost";
import { listen } from "./net";

export interface HostReadyMessage {
  readonly type: "ready";
  readonly port: number;
}

const log = (message: string, fields: Record<string, unknown> = {}) =>
  process.stderr.write(`${JSON.stringify({ level: "error", source: "function-host", version: process.env.AWS_LAMBDA_FUNCTION_VERSION, message, ...fields })}\n`);

async function main(): Promise<void> {
  const [bundleFile, portText = "0"] = process.argv.slice(2);
  if (!bundleFile) throw new Error("usage: functionHostProcess.ts <bundle index.mjs> [port]");
  const version = process.env.AWS_LAMBDA_FUNCTION_VERSION ?? "$LATEST";
  const module = (await import(pathToFileURL(bundleFile).href)) as { handler?: FunctionHandler };
  if (typeof module.handler !== "function") throw new Error(`${bundleFile} does not export a handler`);
  const server = createFunctionHostServer({ handler: module.handler, version, log });
  // Longer than the edge keeps idle connections to it, so the edge closes them first.
  server.keepAliveTimeout = 65_000;
  const port = await listen(server, Number(portText), "127.0.0.1", `function host (version ${version})`);
  const ready: HostReadyMessage = { type: "ready", port };
  process.send?.(ready);
  process.on("disconnect", () => process.exit(0));
  process.on("SIGTERM", () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}

main().catch((error: unknown) => {
  log("function host failed to start", { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
