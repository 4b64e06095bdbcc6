import { z } from "zod";
import { MANAGER_ENV } from "./configKeys";
import { TABLE_KEYS, type TableNames } from "./store/catalogue";

/**
 * Runtime configuration of a manager process (Lambda or local), read from environment
 * variables by the entry points only. The `manager` stack sets these on the Lambda; the local
 * runtime sets them for the local manager.
 */
export interface ManagerRuntimeConfig {
  /** Token issuer (Cognito user pool URL, or the local OpenID provider). */
  readonly issuer: string;
  readonly jwksUrl: URL;
  /** App client ids whose access tokens are accepted. */
  readonly allowedClientIds: readonly string[];
  readonly tables: TableNames;
  /** Public base URL of the MCP endpoint (for resource metadata). @default - from the Host header */
  readonly publicBaseUrl?: string;
}

export { MANAGER_ENV } from "./configKeys";

const tablesSchema = z.object(Object.fromEntries(TABLE_KEYS.map((key) => [key, z.string().min(3).max(255)]))).strict();

export function managerConfigFromEnv(env: Readonly<Record<string, string | undefined>>): ManagerRuntimeConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set; the manager needs it (see README "Configuration").`);
    return value;
  };
  const issuer = required(MANAGER_ENV.issuer);
  let tables: TableNames;
  try {
    tables = tablesSchema.parse(JSON.parse(required(MANAGER_ENV.tables))) as TableNames;
  } catch (error) {
    throw new Error(
      `${MANAGER_ENV.tables} must be a JSON object naming the table of each of ${TABLE_KEYS.join(", ")}: ${error instanceof Error ? error.message : error}`,
      {
        cause: error,
      }
    );
  }
  const allowedClientIds = required(MANAGER_ENV.clientIds)
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  return {
    issuer,
    jwksUrl: new URL(env[MANAGER_ENV.jwksUrl] ?? `${issuer.replace(/\/$/, "")}/.well-known/jwks.json`),
    allowedClientIds,
    tables,
    publicBaseUrl: env[MANAGER_ENV.publicBaseUrl] || undefined,
  };
}
