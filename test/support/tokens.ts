import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet, type JWTPayload } from "jose";

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
import { randomUUID } from "node:crypto";
import { ALL_SCOPES } from "../../app/common/auth/scopes";

/**
 * A test signing authority: a real RSA key pair and JWKS, minting Cognito-shaped access tokens.
 * The local OpenID provider suites use the provider's real tokens; this keeps domain suites fast.
 */
export interface TestIssuer {
  readonly issuer: string;
  readonly clientId: string;
  readonly jwks: JSONWebKeySet;
  readonly privateKey: PrivateKey;
  readonly kid: string;
  accessToken(sub: string, options?: { scopes?: readonly string[]; claims?: JWTPayload; expiresIn?: string }): Promise<string>;
}

export async function createTestIssuer(issuer = "https://issuer.test/pool", clientId = "test-client"): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return {
    issuer,
    clientId,
    jwks: { keys: [jwk] },
    privateKey,
    kid,
    async accessToken(sub, options = {}) {
      return new SignJWT({
        token_use: "access",
        client_id: clientId,
        scope: (options.scopes ?? ALL_SCOPES).join(" "),
        username: sub,
        ...options.claims,
      })
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
        .setIssuer(issuer)
        .setSubject(sub)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime(options.expiresIn ?? "15m")
        .sign(privateKey);
    },
  };
}
