import { createHash, randomBytes } from "node:crypto";
import { CLI_REDIRECT_URI, DEFAULT_SCOPES, LocalClientId } from "./clients";

/**
 * Signs in to the local OpenID provider the way a browser does and returns the tokens — no
 * back door: discovery → authorization request with PKCE (S256) → the HTML login (or sign-up)
 * form posted with the interaction cookies → consent → code at the redirect URI → token
 * endpoint. Used by `npm run token` and by the tests that need real tokens.
 */
export interface ObtainTokenOptions {
  /** The provider's issuer URL (`runtime.json` → `issuer`). */
  readonly issuer: string;
  /** @default LocalClientId.Cli */
  readonly clientId?: string;
  readonly username: string;
  readonly password: string;
  /** Resource scopes to ask for (`openid` is always added). @default DEFAULT_SCOPES */
  readonly scopes?: readonly string[];
  /** Create the account through the sign-up form instead of signing in. @default false */
  readonly signUp?: boolean;
  /** Must be registered for the client. @default CLI_REDIRECT_URI */
  readonly redirectUri?: string;
  /** RFC 8707 resource indicator. @default - the provider's default resource */
  readonly resource?: string;
  /**
   * The cookie jar to sign in with; pass the same one again to act as the same browser (whose
   * provider session then skips the login form).
   * @default - a fresh browser session
   */
  readonly browser?: BrowserSession;
}

export interface ObtainedTokens {
  readonly accessToken: string;
  readonly idToken?: string;
  readonly refreshToken?: string;
  readonly tokenType: string;
  /** Seconds until the access token expires. */
  readonly expiresIn: number;
  readonly scope: string;
}

export type LoginErrorCode = "wrong_credentials" | "rejected_input" | "username_taken" | "access_denied" | "flow_failed" | "unreachable";

/** The sign-in did not produce a token; `message` says why, in words fit for a terminal. */
export class LoginError extends Error {
  constructor(
    readonly code: LoginErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "LoginError";
  }
}

const MAX_STEPS = 20;

export async function obtainAccessToken(options: ObtainTokenOptions): Promise<ObtainedTokens> {
  const clientId = options.clientId ?? LocalClientId.Cli;
  const redirectUri = options.redirectUri ?? CLI_REDIRECT_URI;
  const browser = options.browser ?? new BrowserSession();
  const discovery = await discover(browser, options.issuer);

  const verifier = randomBytes(32).toString("base64url");
  const state = randomBytes(16).toString("base64url");
  const authorize = new URL(discovery.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    redirect_uri: redirectUri,
    scope: ["openid", ...(options.scopes ?? DEFAULT_SCOPES)].join(" "),
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    state,
    nonce: randomBytes(16).toString("base64url"),
    ...(options.resource ? { resource: options.resource } : {}),
  }).toString();

  const callback = await runBrowserSteps(browser, authorize, redirectUri, options);
  if (callback.get("state") !== state) throw new LoginError("flow_failed", "the provider returned a different state than was sent");
  const error = callback.get("error");
  if (error) {
    const description = callback.get("error_description");
    throw new LoginError(error === "access_denied" ? "access_denied" : "flow_failed", `sign-in refused: ${error}${description ? ` (${description})` : ""}`);
  }
  const code = callback.get("code");
  if (!code) throw new LoginError("flow_failed", "the provider redirected back without an authorization code");

  const response = await browser.fetch(new URL(discovery.token_endpoint), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier }).toString(),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== "string") {
    throw new LoginError("flow_failed", `token endpoint refused the code: ${String(body.error ?? response.status)}${body.error_description ? ` (${String(body.error_description)})` : ""}`);
  }
  return {
    accessToken: body.access_token,
    idToken: typeof body.id_token === "string" ? body.id_token : undefined,
    refreshToken: typeof body.refresh_token === "string" ? body.refresh_token : undefined,
    tokenType: String(body.token_type ?? "Bearer"),
    expiresIn: Number(body.expires_in ?? 0),
    scope: String(body.scope ?? ""),
  };
}

interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
}

async function discover(browser: BrowserSession, issuer: string): Promise<Discovery> {
  const url = new URL(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
  let response: Response;
  try {
    response = await browser.fetch(url);
  } catch (error) {
    throw new LoginError("unreachable", `cannot reach the OpenID provider at ${issuer} (${describe(error)})`);
  }
  const document = (await response.json().catch(() => undefined)) as Partial<Discovery> | undefined;
  if (!response.ok || !document?.authorization_endpoint || !document.token_endpoint) {
    throw new LoginError("unreachable", `${url.href} did not return OpenID provider metadata (HTTP ${response.status})`);
  }
  if (document.issuer !== issuer.replace(/\/$/, "")) {
    throw new LoginError("flow_failed", `the provider at ${issuer} says its issuer is ${String(document.issuer)}`);
  }
  return document as Discovery;
}

/** Follows redirects and fills the sign-in form until the provider redirects to `redirectUri`. */
async function runBrowserSteps(browser: BrowserSession, start: URL, redirectUri: string, options: ObtainTokenOptions): Promise<URLSearchParams> {
  const target = new URL(redirectUri);
  let url = start;
  let init: RequestInit = {};
  let submitted = false;
  for (let step = 0; step < MAX_STEPS; step++) {
    const response = await browser.fetch(url, init);
    init = {};
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.origin === target.origin && next.pathname === target.pathname) return next.searchParams;
      url = next;
      continue;
    }
    const html = await response.text();
    if (submitted) {
      const message = pageError(html) ?? `unexpected HTTP ${response.status} after the sign-in form`;
      const code = response.status === 401 ? "wrong_credentials" : response.status === 409 ? "username_taken" : "rejected_input";
      throw new LoginError(code, message);
    }
    if (!response.ok) throw new LoginError("flow_failed", `the provider answered HTTP ${response.status}: ${pageError(html) ?? "no detail"}`);

    let formHtml = html;
    let formUrl = url;
    if (options.signUp) {
      const link = /<a id="signup-link" href="([^"]+)"/.exec(html)?.[1];
      if (!link) throw new LoginError("flow_failed", "the login page has no sign-up link");
      formUrl = new URL(decodeEntities(link), url);
      const signUpResponse = await browser.fetch(formUrl);
      formHtml = await signUpResponse.text();
      if (!signUpResponse.ok) throw new LoginError("flow_failed", `the sign-up page answered HTTP ${signUpResponse.status}: ${pageError(formHtml) ?? "no detail"}`);
    }
    const form = parseForm(formHtml, options.signUp ? "signup-form" : "login-form");
    if (!form) throw new LoginError("flow_failed", `expected the ${options.signUp ? "sign-up" : "login"} form at ${formUrl.href}`);
    url = new URL(form.action, formUrl);
    init = {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...form.hidden, username: options.username, password: options.password }).toString(),
    };
    submitted = true;
  }
  throw new LoginError("flow_failed", `sign-in did not reach ${redirectUri} within ${MAX_STEPS} steps`);
}

function parseForm(html: string, id: string): { action: string; hidden: Record<string, string> } | undefined {
  const match = new RegExp(`<form id="${id}"[^>]*\\baction="([^"]*)"[^>]*>([\\s\\S]*?)</form>`).exec(html);
  if (!match) return undefined;
  const hidden: Record<string, string> = {};
  for (const input of (match[2] as string).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    hidden[decodeEntities(input[1] as string)] = decodeEntities(input[2] as string);
  }
  return { action: decodeEntities(match[1] as string), hidden };
}

function pageError(html: string): string | undefined {
  const message = /<p class="error" role="alert">([\s\S]*?)<\/p>/.exec(html)?.[1];
  return message === undefined ? undefined : decodeEntities(message).trim();
}

function decodeEntities(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}

/** fetch with manual redirects and a cookie jar: just enough browser for the sign-in flow. */
export class BrowserSession {
  private readonly cookies = new Map<string, { name: string; value: string; host: string; path: string }>();

  async fetch(url: URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(url);
    if (cookie) headers.set("cookie", cookie);
    headers.set("accept", headers.get("accept") ?? "text/html,application/json");
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) this.store(url, line);
    return response;
  }

  private cookieHeader(url: URL): string {
    return [...this.cookies.values()]
      .filter((cookie) => cookie.host === url.host && url.pathname.startsWith(cookie.path))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join("; ");
  }

  private store(url: URL, line: string): void {
    const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
    const separator = pair.indexOf("=");
    if (separator <= 0) return;
    const name = pair.slice(0, separator);
    const value = pair.slice(separator + 1);
    let path = "/";
    let expired = value === "";
    for (const attribute of attributes) {
      const [key = "", attributeValue = ""] = attribute.split("=");
      const lower = key.toLowerCase();
      if (lower === "path" && attributeValue) path = attributeValue;
      if (lower === "max-age" && Number(attributeValue) <= 0) expired = true;
      if (lower === "expires" && Date.parse(attribute.slice(attribute.indexOf("=") + 1)) <= Date.now()) expired = true;
    }
    const key = `${url.host} ${path} ${name}`;
    if (expired) this.cookies.delete(key);
    else this.cookies.set(key, { name, value, host: url.host, path });
  }
}
