import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import { readJsonFile, writeJsonFile } from "../paths";

/**
 * Key material of the local OpenID provider, generated on first start and kept in the data
 * directory so tokens, sessions and the JWKS survive restarts (like a real user pool's keys).
 */
export const SIGNING_ALGORITHM = "RS256";

export interface ProviderSecrets {
  /** Private RSA JWKs (the first signs); the JWKS endpoint publishes their public halves. */
  readonly signingKeys: readonly JWK[];
  /** Keys for the provider's signed cookies (and our CSRF tokens). */
  readonly cookieKeys: readonly string[];
}

const signingKeySchema = z.looseObject({
  kty: z.literal("RSA"),
  kid: z.string().min(1),
  alg: z.literal(SIGNING_ALGORITHM),
  use: z.literal("sig"),
  n: z.string().min(1),
  e: z.string().min(1),
  d: z.string().min(1),
});
const signingKeysSchema = z.object({ keys: z.array(signingKeySchema).min(1) });
const cookieKeysSchema = z.object({ keys: z.array(z.string().min(32)).min(1) });

export function signingKeysFile(oidcDir: string): string {
  return join(oidcDir, "signing-keys.json");
}

function cookieKeysFile(oidcDir: string): string {
  return join(oidcDir, "cookie-keys.json");
}

/** Loads the provider's keys from `oidcDir`, creating them on first use. */
export async function loadOrCreateSecrets(oidcDir: string): Promise<ProviderSecrets> {
  return { signingKeys: await loadOrCreateSigningKeys(oidcDir), cookieKeys: await loadOrCreateCookieKeys(oidcDir) };
}

async function loadOrCreateSigningKeys(oidcDir: string): Promise<JWK[]> {
  const file = signingKeysFile(oidcDir);
  const stored = await readJsonFile(file);
  if (stored !== undefined) {
    const parsed = signingKeysSchema.safeParse(stored);
    if (!parsed.success) throw new Error(`${file} does not hold RS256 private signing keys; delete it to generate new ones`);
    return parsed.data.keys as JWK[];
  }
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  const key: JWK = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: SIGNING_ALGORITHM, use: "sig" };
  await writeJsonFile(file, { keys: [key] });
  return [key];
}

async function loadOrCreateCookieKeys(oidcDir: string): Promise<string[]> {
  const file = cookieKeysFile(oidcDir);
  const stored = await readJsonFile(file);
  if (stored !== undefined) {
    const parsed = cookieKeysSchema.safeParse(stored);
    if (!parsed.success) throw new Error(`${file} does not hold cookie keys; delete it to generate new ones`);
    return parsed.data.keys;
  }
  const keys = [randomBytes(32).toString("base64url")];
  await writeJsonFile(file, { keys });
  return keys;
}

/** The public half of a private JWK (what the JWKS endpoint serves). */
export function publicJwk(jwk: JWK): JWK {
  const { kty, kid, alg, use, n, e } = jwk;
  return { kty, kid, alg, use, n, e };
}

/**
 * The provider's current private signing key as a jose key, read from the data directory.
 * For tools and tests that must forge a token with a valid signature.
 */
export async function loadSigningKey(oidcDir: string): Promise<{ kid: string; key: Awaited<ReturnType<typeof importJWK>>; jwk: JWK }> {
  const file = signingKeysFile(oidcDir);
  const stored = signingKeysSchema.safeParse(await readJsonFile(file));
  if (!stored.success) throw new Error(`no signing keys in ${file}; start the provider once to create them`);
  const jwk = stored.data.keys[0] as JWK;
  return { kid: jwk.kid as string, key: await importJWK(jwk, SIGNING_ALGORITHM), jwk };
}
