import { decodeJwt, decodeProtectedHeader } from "jose";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALL_SCOPES, Scope } from "../../app/common/auth/scopes";
import { createAccessTokenVerifier, type AccessTokenVerifier } from "../../app/common/auth/verifier";
import { CLI_REDIRECT_URI, DEFAULT_RESOURCE, LOCAL_CLIENT_IDS, LocalClientId } from "../../app/local/oidc/clients";
import { BrowserSession, LoginError, obtainAccessToken } from "../../app/local/oidc/login";
import { startOidcProvider, type LocalOidcProvider } from "../../app/local/oidc/provider";

const UI_REDIRECT = "http://127.0.0.1:5173/callback";
/** The MCP endpoint as an RFC 8707 resource indicator, as MCP clients send it. */
const MCP_RESOURCE = "http://127.0.0.1:4102/mcp";
const RESOURCES = [DEFAULT_RESOURCE, MCP_RESOURCE];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let dataDir: string;
let provider: LocalOidcProvider;
let verifier: AccessTokenVerifier;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "healthmate-oidc-"));
  provider = await startOidcProvider({ dataDir, uiRedirectUris: [UI_REDIRECT], resources: RESOURCES });
  verifier = createAccessTokenVerifier({ issuer: provider.issuer, jwksUrl: new URL(provider.jwksUrl), allowedClientIds: LOCAL_CLIENT_IDS });
  await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password", signUp: true });
});

afterAll(async () => {
  await provider?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Starts an authorization request by hand and returns the login page it leads to, with the cookies. */
async function openLoginPage(): Promise<{ url: URL; cookie: string; response: Response; html: string }> {
  const authorize = new URL(`${provider.issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: LocalClientId.Cli,
    response_type: "code",
    redirect_uri: CLI_REDIRECT_URI,
    scope: `openid ${Scope.HealthRead}`,
    code_challenge: createHash("sha256").update(randomBytes(32).toString("base64url")).digest("base64url"),
    code_challenge_method: "S256",
    state: "s",
  }).toString();
  const redirect = await fetch(authorize, { redirect: "manual" });
  expect(redirect.status).toBe(303);
  const cookie = redirect.headers
    .getSetCookie()
    .map((line) => line.split(";")[0])
    .join("; ");
  const url = new URL(redirect.headers.get("location") as string, provider.issuer);
  const response = await fetch(url, { headers: { cookie }, redirect: "manual" });
  return { url, cookie, response, html: await response.text() };
}

describe("local OpenID provider", () => {
  test("issues a Cognito-shaped RS256 access token that the manager's verifier accepts", async () => {
    const tokens = await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password" });
    const header = decodeProtectedHeader(tokens.accessToken);
    expect(header).toMatchObject({ alg: "RS256", kid: expect.any(String) });

    const claims = decodeJwt(tokens.accessToken);
    expect(claims).toMatchObject({
      iss: provider.issuer,
      sub: expect.stringMatching(UUID),
      client_id: LocalClientId.Cli,
      token_use: "access",
      scope: ALL_SCOPES.join(" "),
      username: "alice",
      jti: expect.any(String),
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);

    const verified = await verifier.verify(tokens.accessToken);
    expect(verified).toMatchObject({ sub: claims.sub, clientId: LocalClientId.Cli, scopes: [...ALL_SCOPES], username: "alice" });
    expect(tokens).toMatchObject({ tokenType: "Bearer", expiresIn: 3600, scope: ALL_SCOPES.join(" ") });
  });

  test("grants only the scopes asked for", async () => {
    const tokens = await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password", scopes: [Scope.HealthRead] });
    expect(decodeJwt(tokens.accessToken).scope).toBe(Scope.HealthRead);
    expect((await verifier.verify(tokens.accessToken)).scopes).toEqual([Scope.HealthRead]);
  });

  test("the ID token says token_use=id and the verifier refuses it as an access token", async () => {
    const tokens = await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password" });
    expect(tokens.idToken).toBeDefined();
    const claims = decodeJwt(tokens.idToken as string);
    expect(claims).toMatchObject({ token_use: "id", aud: LocalClientId.Cli, "cognito:username": "alice", sub: decodeJwt(tokens.accessToken).sub });
    await expect(verifier.verify(tokens.idToken as string)).rejects.toThrow(/token_use is 'id'/);
  });

  test("the UI client (public web client, PKCE) signs in through its own redirect URI", async () => {
    const tokens = await obtainAccessToken({ issuer: provider.issuer, clientId: LocalClientId.Ui, redirectUri: UI_REDIRECT, username: "alice", password: "alice-password" });
    expect((await verifier.verify(tokens.accessToken)).clientId).toBe(LocalClientId.Ui);
  });

  test("the audience is the default resource, or the MCP endpoint when a client names it; unknown resources are refused", async () => {
    const plain = await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password" });
    expect(decodeJwt(plain.accessToken).aud).toBe(DEFAULT_RESOURCE);
    const forMcp = await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password", resource: MCP_RESOURCE });
    expect(decodeJwt(forMcp.accessToken).aud).toBe(MCP_RESOURCE);
    await verifier.verify(forMcp.accessToken);
    await expect(obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password", resource: "https://elsewhere.example/api" })).rejects.toThrow(/invalid_target/);
  });

  test("a second sign-in in the same browser uses the provider session (no login form)", async () => {
    const browser = new BrowserSession();
    const first = await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password", browser });
    // The form is not shown again, so the (wrong) password is never used.
    const second = await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "unused-wrong-password", browser, scopes: [Scope.HealthRead] });
    expect(decodeJwt(second.accessToken)).toMatchObject({ sub: decodeJwt(first.accessToken).sub, scope: Scope.HealthRead });
  });

  test("a redirect URI the client did not register is refused before any sign-in", async () => {
    await expect(obtainAccessToken({ issuer: provider.issuer, clientId: LocalClientId.Ui, redirectUri: "http://127.0.0.1:9999/steal", username: "alice", password: "alice-password" })).rejects.toThrow(/redirect_uri/);
  });

  test("PKCE is required: an authorization request without a code challenge is refused", async () => {
    const authorize = new URL(`${provider.issuer}/auth`);
    authorize.search = new URLSearchParams({ client_id: LocalClientId.Cli, response_type: "code", redirect_uri: CLI_REDIRECT_URI, scope: "openid", state: "s" }).toString();
    const response = await fetch(authorize, { redirect: "manual" });
    const callback = new URL(response.headers.get("location") as string);
    expect(callback.searchParams.get("error")).toBe("invalid_request");
    expect(callback.searchParams.get("error_description")).toMatch(/PKCE/);
  });

  test("a wrong password is refused with a clear error on the login page", async () => {
    const attempt = obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "not-her-password" });
    await expect(attempt).rejects.toThrow(LoginError);
    await expect(attempt).rejects.toMatchObject({ code: "wrong_credentials", message: "Wrong username or password." });
  });

  test("an unknown user gets the same error as a wrong password (no account probing)", async () => {
    await expect(obtainAccessToken({ issuer: provider.issuer, username: "nobody", password: "whatever-pass" })).rejects.toMatchObject({ code: "wrong_credentials", message: "Wrong username or password." });
  });

  test("sign-up validates the username and password and refuses a taken username", async () => {
    await expect(obtainAccessToken({ issuer: provider.issuer, username: "carol", password: "short", signUp: true })).rejects.toMatchObject({ code: "rejected_input", message: expect.stringMatching(/at least|8-256/) });
    await expect(obtainAccessToken({ issuer: provider.issuer, username: "has space", password: "long-enough-pass", signUp: true })).rejects.toMatchObject({ code: "rejected_input", message: expect.stringMatching(/Username must be/) });
    await expect(obtainAccessToken({ issuer: provider.issuer, username: "ALICE", password: "long-enough-pass", signUp: true })).rejects.toMatchObject({ code: "username_taken" });
  });

  test("the login page is a real HTML form with a CSRF token, and refuses a post without it", async () => {
    const { url, cookie, response, html } = await openLoginPage();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toMatch(new RegExp(`<form id="login-form" method="post" action="${url.pathname}/login"`));
    expect(html).toMatch(/<input id="username" name="username" type="text"/);
    expect(html).toMatch(/<input id="password" name="password" type="password"/);
    expect(html).toMatch(/<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{20,}">/);
    expect(html).toMatch(/Create an account/);

    const forged = await fetch(new URL(`${url.pathname}/login`, provider.issuer), {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "alice", password: "alice-password" }).toString(),
      redirect: "manual",
    });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toMatch(/not sent from this sign-in page/);
  });

  test("a login post without the browser's interaction cookie is refused", async () => {
    const { url, html } = await openLoginPage();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] as string;
    const response = await fetch(new URL(`${url.pathname}/login`, provider.issuer), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, username: "alice", password: "alice-password" }).toString(),
      redirect: "manual",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/expired or was opened outside a sign-in/);
  });

  test("Cancel on the login page ends the sign-in with access_denied at the client's redirect URI", async () => {
    const { url, cookie, html } = await openLoginPage();
    expect(html).toMatch(/<form id="abort-form" method="post"/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] as string;
    const aborted = await fetch(new URL(`${url.pathname}/abort`, provider.issuer), {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf }).toString(),
      redirect: "manual",
    });
    expect(aborted.status).toBe(303);
    const resume = await fetch(new URL(aborted.headers.get("location") as string, provider.issuer), { headers: { cookie }, redirect: "manual" });
    const callback = new URL(resume.headers.get("location") as string);
    expect(`${callback.origin}${callback.pathname}`).toBe(CLI_REDIRECT_URI);
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("code")).toBeNull();
  });

  test("keys and accounts are kept in the data directory, private and hashed", async () => {
    const keys = await stat(join(dataDir, "signing-keys.json"));
    expect(keys.mode & 0o077).toBe(0);
    const accounts = await readFile(join(dataDir, "accounts.json"), "utf8");
    expect(accounts).toMatch(/"passwordHash": "scrypt\$/);
    expect(accounts).not.toMatch(/alice-password/);
    const jwks = (await (await fetch(provider.jwksUrl)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });

  test("a restart with the same data directory keeps the keys and the accounts (same sub)", async () => {
    const before = await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password" });
    const { port } = provider;
    const kid = decodeProtectedHeader(before.accessToken).kid;
    await provider.close();

    provider = await startOidcProvider({ dataDir, port, uiRedirectUris: [UI_REDIRECT], resources: RESOURCES });
    const restartedVerifier = createAccessTokenVerifier({ issuer: provider.issuer, jwksUrl: new URL(provider.jwksUrl), allowedClientIds: LOCAL_CLIENT_IDS });
    // A token from before the restart still verifies: same issuer, same signing key.
    expect((await restartedVerifier.verify(before.accessToken)).sub).toBe(decodeJwt(before.accessToken).sub);

    const after = await obtainAccessToken({ issuer: provider.issuer, username: "alice", password: "alice-password" });
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(kid);
    expect(decodeJwt(after.accessToken).sub).toBe(decodeJwt(before.accessToken).sub);
    verifier = restartedVerifier;
  });
});
