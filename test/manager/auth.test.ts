import { GetItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { decodeJwt, generateKeyPair, SignJWT, UnsecuredJWT, type JWTPayload } from "jose";
import { createPublicKey, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALL_SCOPES, Scope } from "../../app/common/auth/scopes";
import { createAccessTokenVerifier } from "../../app/common/auth/verifier";
import { LOCAL_CLIENT_IDS, LocalClientId } from "../../app/local/oidc/clients";
import { loadSigningKey } from "../../app/local/oidc/keys";
import { obtainAccessToken, type ObtainedTokens } from "../../app/local/oidc/login";
import { startOidcProvider, type LocalOidcProvider } from "../../app/local/oidc/provider";
import { TABLE_KEYS } from "../../app/manager/store/catalogue";
import { callOk, connectClient, startManager, type ManagerHarness } from "../support/manager";

/**
 * Authorization of the MCP endpoint with REAL tokens from the local OpenID provider (ARCHITECTURE
 * §2, MCP authorization spec): good tokens reach the tools; every kind of bad token is refused
 * with 401/403 and the right WWW-Authenticate challenge, before any data or audit record is
 * touched.
 */
let dataDir: string;
let provider: LocalOidcProvider;
let harness: ManagerHarness;
let alice: ObtainedTokens;
let aliceSub: string;
let signing: Awaited<ReturnType<typeof loadSigningKey>>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "healthmate-auth-"));
  provider = await startOidcProvider({ dataDir });
  const verifier = createAccessTokenVerifier({ issuer: provider.issuer, jwksUrl: new URL(provider.jwksUrl), allowedClientIds: LOCAL_CLIENT_IDS });
  harness = await startManager({ verifier, issuerUrl: provider.issuer });
  alice = await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password", signUp: true });
  aliceSub = decodeJwt(alice.accessToken).sub as string;
  signing = await loadSigningKey(dataDir);
  const client = await connectClient(harness.url, alice.accessToken);
  await callOk(client, "AddUser", { username: "Alice", email: "alice@example.com", timezone: "Europe/Berlin" });
  await client.close();
});

afterAll(async () => {
  await harness?.close();
  await provider?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** A token with a valid signature from the provider's own key; `claims` overrides the good ones. */
async function forge(claims: JWTPayload = {}, header: { kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: provider.issuer,
    sub: aliceSub,
    client_id: LocalClientId.Cli,
    token_use: "access",
    scope: ALL_SCOPES.join(" "),
    username: "alice",
    iat: now,
    exp: now + 900,
    jti: randomUUID(),
    ...claims,
  })
    .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: header.kid ?? signing.kid })
    .sign(signing.key);
}

/** Every item of every table, through the raw DynamoDB API (not the manager's code). */
async function everything(): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const key of TABLE_KEYS) {
    const { Items = [] } = await harness.dynamo.client.send(new ScanCommand({ TableName: harness.dynamo.tables[key], ConsistentRead: true }));
    result[key] = Items;
  }
  return result;
}

async function aliceProfile(): Promise<unknown> {
  const { Item } = await harness.dynamo.client.send(new GetItemCommand({ TableName: harness.dynamo.tables.users, Key: { userId: { S: aliceSub } }, ConsistentRead: true }));
  return Item;
}

/** A raw MCP tools/call over HTTP (the SDK client would hide the status and headers). */
async function rawCall(authorization: string | undefined, tool = "UpdateUser", args: Record<string, unknown> = { username: "Mallory" }): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  if (authorization !== undefined) headers.authorization = authorization;
  return fetch(harness.url, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: tool, arguments: args } }),
  });
}

const METADATA_URL = () => `${harness.url.origin}/.well-known/oauth-protected-resource/mcp`;

/** Calls with `authorization`, expects a refusal, and checks nothing was stored or audited. */
async function expectRefused(authorization: string | undefined, expected: { status: 401 | 403; error?: string; scope?: string; message: RegExp }, tool?: string): Promise<void> {
  const before = await everything();
  const profileBefore = await aliceProfile();
  const audited = harness.audit.records.length;

  const response = tool ? await rawCall(authorization, tool, {}) : await rawCall(authorization);
  expect(response.status).toBe(expected.status);
  const challenge = response.headers.get("www-authenticate") ?? "";
  expect(challenge).toMatch(/^Bearer /);
  expect(challenge).toContain(`resource_metadata="${METADATA_URL()}"`);
  if (expected.error) expect(challenge).toContain(`error="${expected.error}"`);
  else expect(challenge).not.toContain("error=");
  if (expected.scope) expect(challenge).toContain(`scope="${expected.scope}"`);
  const body = (await response.json()) as { error?: { message?: string } };
  expect(body.error?.message).toMatch(expected.message);

  expect(await everything()).toEqual(before);
  expect(await aliceProfile()).toEqual(profileBefore);
  expect(harness.audit.records).toHaveLength(audited);
}

const invalidToken = (message: RegExp) => ({ status: 401 as const, error: "invalid_token", message });

describe("MCP endpoint with real tokens from the local OpenID provider", () => {
  let client: Client;

  beforeAll(async () => {
    client = await connectClient(harness.url, alice.accessToken);
  });
  afterAll(() => client?.close());

  test("tools/list works with the access token", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(["AddUser", "GetUser", "UpdateUser"]));
  });

  test("AddUser then GetUser: the profile belongs to the token's sub", async () => {
    const profile = await callOk(client, "GetUser");
    expect(profile).toMatchObject({ username: "Alice", email: "alice@example.com", timezone: "Europe/Berlin" });
    expect(profile).not.toHaveProperty("userId");
    const { Item } = await harness.dynamo.client.send(new GetItemCommand({ TableName: harness.dynamo.tables.users, Key: { userId: { S: aliceSub } } }));
    expect(Item?.username?.S).toBe("Alice");
  });

  test("a second account gets its own empty data space", async () => {
    const bob = await obtainAccessToken({ issuer: provider.issuer, username: "bob", password: "bob-password", signUp: true });
    const bobClient = await connectClient(harness.url, bob.accessToken);
    const result = await bobClient.callTool({ name: "GetUser", arguments: {} });
    expect(result.isError).toBe(true);
    const created = await callOk(bobClient, "AddUser", { username: "Bob" });
    expect(created).toMatchObject({ username: "Bob" });
    expect((await callOk(client, "GetUser")).username).toBe("Alice");
    await bobClient.close();
  });

  test("a read-only token can read", async () => {
    const readOnly = await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password", scopes: [Scope.HealthRead] });
    const readClient = await connectClient(harness.url, readOnly.accessToken);
    expect((await callOk(readClient, "GetUser")).username).toBe("Alice");
    await readClient.close();
  });

  test("control: a token forged with the provider's key and correct claims is accepted (so each refusal below is for its one defect)", async () => {
    const response = await rawCall(`Bearer ${await forge()}`, "GetUser", {});
    expect(response.status).toBe(200);
  });

  test("GET /.well-known/oauth-protected-resource is RFC 9728 metadata naming the provider", async () => {
    for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
      const response = await fetch(new URL(path, harness.url));
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        resource: harness.url.href,
        authorization_servers: [provider.issuer],
        scopes_supported: expect.arrayContaining([Scope.HealthRead, Scope.HealthWrite]),
        bearer_methods_supported: ["header"],
      });
    }
  });
});

describe("refused tokens: 401/403 with WWW-Authenticate, no data touched, no audit record", () => {
  test("no token", async () => {
    await expectRefused(undefined, { status: 401, message: /Authorization: Bearer/ });
  });

  test.each([
    ["Basic scheme", "Basic YWxpY2U6cGFzc3dvcmQ="],
    ["Bearer without a token", "Bearer"],
    ["two tokens", "Bearer abc.def.ghi jkl.mno.pqr"],
    ["characters outside token68", "Bearer abc.d!f.ghi"],
  ])("malformed Authorization header: %s", async (_name, header) => {
    await expectRefused(header, { status: 401, message: /Authorization: Bearer/ });
  });

  test("a Bearer value that is not a JWT", async () => {
    await expectRefused("Bearer not-a-jwt", invalidToken(/malformed/));
  });

  test("alg none (unsigned token)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = new UnsecuredJWT({ sub: aliceSub, client_id: LocalClientId.Cli, token_use: "access", scope: ALL_SCOPES.join(" ") })
      .setIssuer(provider.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 900)
      .encode();
    await expectRefused(`Bearer ${unsigned}`, invalidToken(/algorithm is not allowed/));
  });

  test("HS256 signed with the provider's public key as the HMAC secret (HS/RS confusion)", async () => {
    const publicPem = createPublicKey({ key: { kty: "RSA", n: signing.jwk.n as string, e: signing.jwk.e as string }, format: "jwk" }).export({ type: "spki", format: "pem" }) as string;
    const now = Math.floor(Date.now() / 1000);
    const confused = await new SignJWT({ sub: aliceSub, client_id: LocalClientId.Cli, token_use: "access", scope: ALL_SCOPES.join(" ") })
      .setProtectedHeader({ alg: "HS256", kid: signing.kid })
      .setIssuer(provider.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 900)
      .sign(new TextEncoder().encode(publicPem));
    await expectRefused(`Bearer ${confused}`, invalidToken(/algorithm is not allowed/));
  });

  test("wrong issuer", async () => {
    await expectRefused(`Bearer ${await forge({ iss: "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_other" })}`, invalidToken(/'iss' claim/));
  });

  test("wrong client (a client id outside the allow-list)", async () => {
    await expectRefused(`Bearer ${await forge({ client_id: "someone-elses-app" })}`, invalidToken(/client that may not call this API/));
  });

  test("ID token instead of an access token", async () => {
    expect(alice.idToken).toBeDefined();
    await expectRefused(`Bearer ${alice.idToken as string}`, invalidToken(/token_use is 'id'/));
  });

  test("expired (beyond the clock skew)", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(`Bearer ${await forge({ iat: now - 7200, exp: now - 3600 })}`, invalidToken(/expired/));
  });

  test("not yet valid (nbf in the future beyond the clock skew)", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(`Bearer ${await forge({ nbf: now + 600 })}`, invalidToken(/'nbf' claim/));
  });

  test("unknown key id (a key the provider never published)", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const now = Math.floor(Date.now() / 1000);
    const stranger = await new SignJWT({ sub: aliceSub, client_id: LocalClientId.Cli, token_use: "access", scope: ALL_SCOPES.join(" ") })
      .setProtectedHeader({ alg: "RS256", kid: `unknown-${randomUUID()}` })
      .setIssuer(provider.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 900)
      .sign(privateKey);
    await expectRefused(`Bearer ${stranger}`, invalidToken(/unknown key/));
  });

  test("the provider's key id on a token signed by another key", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const now = Math.floor(Date.now() / 1000);
    const impostor = await new SignJWT({ sub: aliceSub, client_id: LocalClientId.Cli, token_use: "access", scope: ALL_SCOPES.join(" ") })
      .setProtectedHeader({ alg: "RS256", kid: signing.kid })
      .setIssuer(provider.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 900)
      .sign(privateKey);
    await expectRefused(`Bearer ${impostor}`, invalidToken(/signature is invalid/));
  });

  test("tampered payload (a real token with its sub swapped, original signature)", async () => {
    const bob = await obtainAccessToken({ issuer: provider.issuer, username: "bob-tamper", password: "bob-password", signUp: true });
    const [header, payload, signature] = bob.accessToken.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as JWTPayload;
    const tampered = Buffer.from(JSON.stringify({ ...claims, sub: aliceSub })).toString("base64url");
    await expectRefused(`Bearer ${header}.${tampered}.${signature}`, invalidToken(/signature is invalid/));
  });

  test("missing scope: a read-only token calling a write tool → 403 insufficient_scope", async () => {
    const readOnly = await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password", scopes: [Scope.HealthRead] });
    await expectRefused(`Bearer ${readOnly.accessToken}`, { status: 403, error: "insufficient_scope", scope: Scope.HealthWrite, message: new RegExp(Scope.HealthWrite) });
  });

  test("missing scope: a token with no health scope → 403 even for a read tool", async () => {
    const coachOnly = await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password", scopes: [Scope.Coach] });
    expect(decodeJwt(coachOnly.accessToken).scope).toBe(Scope.Coach);
    await expectRefused(`Bearer ${coachOnly.accessToken}`, { status: 403, error: "insufficient_scope", scope: Scope.HealthRead, message: new RegExp(Scope.HealthRead) }, "GetUser");
  });
});
