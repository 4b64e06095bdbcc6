import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A loopback port that is taken; the entry point turns it into advice (which variable to set). */
export class PortInUseError extends Error {
  constructor(
    readonly service: string,
    readonly host: string,
    readonly port: number,
  ) {
    super(`${service}: port ${port} on ${host} is already in use (is another \`npm start\` running?)`);
    this.name = "PortInUseError";
  }
}

/** `server.listen` as a promise that fails with a clear PortInUseError; resolves to the bound port. */
export function listen(server: Server, port: number, host: string, service: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      reject(error.code === "EADDRINUSE" ? new PortInUseError(service, host, port) : error);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

/** Closes a server, dropping idle keep-alive connections so close does not hang. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** Validates a port number from configuration; 0 means "any free port". */
export function parsePort(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number 0-65535 (0 = any free port), got '${value}'`);
  return port;
}
