import { timingSafeEqual } from "node:crypto";
import { Header } from "./router/contract";

/**
 * The origin-secret check of the colour function URLs. CloudFront's origin access control for
 * function URLs needs AWS_IAM auth, and then every POST must carry `x-amz-content-sha256`, which
 * MCP clients do not send; so CloudFront adds a secret header instead (its origin custom header)
 * and the function refuses colour-URL requests without it. The `manager` stack sets these
 * variables; the Lambda entry (app/manager/lambda.ts) applies the check. No dependencies beyond
 * node:crypto, so the Lambda bundle stays small.
 */
export const ORIGIN_GUARD_ENV = {
  /** Accepted secrets, comma-separated (two only while rotating). Unset: no check. */
  secrets: "HEALTHMATE_ORIGIN_SECRET",
  /** Aliases whose URL stays open to direct clients (the `live` URL for MCP clients), comma-separated. */
  openAliases: "HEALTHMATE_ORIGIN_OPEN_ALIASES",
} as const;

export interface OriginGuard {
  readonly secrets: readonly string[];
  /** Invocations through these aliases skip the check; every other qualifier needs the secret. */
  readonly openAliases: readonly string[];
}

/** The guard configured in the environment, or `undefined` when no secret is set (local runs). */
export function originGuardFromEnv(env: Readonly<Record<string, string | undefined>>): OriginGuard | undefined {
  const list = (name: string) =>
    (env[name] ?? "")
      .split(",")
      .map((part) => part.trim())
      .filter(Boolean);
  const secrets = list(ORIGIN_GUARD_ENV.secrets);
  return secrets.length > 0 ? { secrets, openAliases: list(ORIGIN_GUARD_ENV.openAliases) } : undefined;
}

/**
 * The alias a Lambda invocation came through: the qualifier of `context.invokedFunctionArn`
 * (`arn:aws:lambda:<region>:<account>:function:<name>:<alias>`), or `undefined` when unqualified.
 */
export function invokedQualifier(invokedFunctionArn: string | undefined): string | undefined {
  const parts = (invokedFunctionArn ?? "").split(":");
  return parts.length === 8 ? parts[7] : undefined;
}

/**
 * Whether a request may proceed: always when no guard is configured or the invocation came
 * through an open alias; otherwise only with a matching origin-secret header (compared in
 * constant time).
 */
export function originAllowed(guard: OriginGuard | undefined, headers: Readonly<Record<string, string | undefined>> | undefined, qualifier: string | undefined): boolean {
  if (!guard) return true;
  if (qualifier !== undefined && guard.openAliases.includes(qualifier)) return true;
  return originSecretValid(guard, headers);
}

/**
 * Whether the request carries a valid origin secret, i.e. it came through the edge: only then may
 * headers the edge sets (x-forwarded-host, …) be trusted. False when no guard is configured.
 */
export function originSecretValid(guard: OriginGuard | undefined, headers: Readonly<Record<string, string | undefined>> | undefined): boolean {
  if (!guard) return false;
  const presented = headerValue(headers, Header.OriginSecret);
  if (presented === undefined) return false;
  const given = Buffer.from(presented);
  return guard.secrets.some((secret) => {
    const expected = Buffer.from(secret);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

/** Function URL events carry lower-case header names; tolerate others. */
function headerValue(headers: Readonly<Record<string, string | undefined>> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}
