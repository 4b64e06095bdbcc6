import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";

/**
 * Verifies Cognito-shaped OAuth **access** tokens (ARCHITECTURE §2). jose does the JOSE part
 * (RS256 signature from the JWKS, `iss`, `exp`/`nbf` with skew, key id lookup, alg pinning);
 * this file adds only the Cognito-specific claims: `token_use = access`, `client_id` in an
 * allow-list and a `sub`. The same verifier runs on AWS (Cognito issuer) and locally (the local
 * OpenID provider), configured by issuer and JWKS.
 */
export interface AccessTokenVerifierProps {
  /** Expected `iss`, e.g. `https://cognito-idp.us-west-2.amazonaws.com/us-west-2_abc`. */
  readonly issuer: string;
  /** JWKS URL; jose caches keys and refetches on an unknown `kid` (rate limited). */
  readonly jwksUrl?: URL;
  /** An in-memory key set instead of `jwksUrl` (tests, air-gapped setups). */
  readonly jwks?: JSONWebKeySet;
  /** App client ids whose tokens are accepted. Must not be empty. */
  readonly allowedClientIds: readonly string[];
  /**
   * Clock skew tolerated on `exp`/`nbf`/`iat`, in seconds.
   * @default 60
   */
  readonly clockToleranceSeconds?: number;
  /**
   * How many verified tokens to remember, so a client's repeated calls skip the signature check
   * (a token is immutable; expiry is still checked on every use). 0 disables the cache.
   * @default 1000
   */
  readonly cacheSize?: number;
  /** Clock for the cached expiry check. @default Date.now */
  readonly now?: () => number;
}

export interface VerifiedAccessToken {
  readonly sub: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly username?: string;
  readonly expiresAt: number;
  readonly token: string;
}

/** Why a token was refused; `message` is safe to return to the caller. */
export class TokenVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenVerificationError";
  }
}

export interface AccessTokenVerifier {
  verify(token: string): Promise<VerifiedAccessToken>;
}

export function createAccessTokenVerifier(props: AccessTokenVerifierProps): AccessTokenVerifier {
  validateProps(props);
  const keySet = props.jwks ? createLocalJWKSet(props.jwks) : createRemoteJWKSet(props.jwksUrl as URL);
  const allowed = new Set(props.allowedClientIds);
  const clockTolerance = props.clockToleranceSeconds ?? 60;

  const cacheSize = props.cacheSize ?? 1000;
  const now = props.now ?? Date.now;
  const cache = new Map<string, VerifiedAccessToken & { readonly notBefore: number }>();

  return {
    async verify(token: string): Promise<VerifiedAccessToken> {
      const cached = cache.get(token);
      if (cached) {
        const seconds = now() / 1000;
        if (seconds < cached.expiresAt + clockTolerance && seconds >= cached.notBefore - clockTolerance) {
          const { notBefore: _notBefore, ...verified } = cached;
          return verified;
        }
        cache.delete(token);
      }
      const verified = await verifyUncached(token);
      if (cacheSize > 0) {
        if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
        cache.set(token, verified);
      }
      const { notBefore: _notBefore, ...result } = verified;
      return result;
    },
  };

  async function verifyUncached(token: string): Promise<VerifiedAccessToken & { readonly notBefore: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer: props.issuer,
        algorithms: ["RS256"],
        clockTolerance,
        requiredClaims: ["sub", "exp", "iat"],
      }));
    } catch (error) {
      throw new TokenVerificationError(describeJoseError(error));
    }
    if (payload.token_use !== "access") {
      throw new TokenVerificationError(`token_use is '${String(payload.token_use)}'; an access token (token_use=access) is required`);
    }
    const clientId = payload.client_id;
    if (typeof clientId !== "string" || !allowed.has(clientId)) {
      throw new TokenVerificationError("the token was issued to a client that may not call this API");
    }
    const sub = payload.sub as string;
    if (sub.length === 0 || sub.length > 128) throw new TokenVerificationError("the token has no usable sub");
    const scopes = typeof payload.scope === "string" ? payload.scope.split(" ").filter(Boolean) : [];
    return {
      sub,
      clientId,
      scopes,
      username: typeof payload.username === "string" ? payload.username : undefined,
      expiresAt: payload.exp as number,
      notBefore: typeof payload.nbf === "number" ? payload.nbf : 0,
      token,
    };
  }
}

function validateProps(props: AccessTokenVerifierProps): void {
  if (!props.issuer) throw new Error("AccessTokenVerifier: issuer is required");
  if (!props.jwks === !props.jwksUrl) throw new Error("AccessTokenVerifier: give exactly one of jwksUrl or jwks");
  if (props.allowedClientIds.length === 0) throw new Error("AccessTokenVerifier: allowedClientIds must name at least one app client");
  const tolerance = props.clockToleranceSeconds;
  if (tolerance !== undefined && (tolerance < 0 || tolerance > 300)) {
    throw new Error(`AccessTokenVerifier: clockToleranceSeconds must be 0-300, got ${tolerance}`);
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "the token has expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the token's '${error.claim}' claim is not acceptable`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "the token's algorithm is not allowed (RS256 is required)";
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "the token was signed by an unknown key";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "the token's signature is invalid";
  if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid) return "the token is malformed";
  if (error instanceof joseErrors.JOSEError) return "the token could not be verified";
  return "the token could not be verified";
}
