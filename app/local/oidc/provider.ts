import express, { type NextFunction, type Request, type Response } from "express";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import Provider, { errors as oidcErrors, type ClientMetadata, type Interaction, type OidcAccount, type OidcContext, type OidcToken, type ResourceServerInfo } from "oidc-provider";
import { ALL_SCOPES } from "../../common/auth/scopes";
import { silentLogger, type Logger } from "../../common/log";
import { closeServer, listen } from "../net";
import { AccountError, AccountStore } from "./accounts";
import { memoryAdapterClass } from "./adapter";
import { CLI_REDIRECT_URI, DEFAULT_RESOURCE, DEFAULT_UI_REDIRECT_URIS, LOCAL_CLIENT_IDS, LocalClientId } from "./clients";
import { loadOrCreateSecrets, SIGNING_ALGORITHM } from "./keys";
import { errorPage, loginPage, logoutPage, PAGE_HEADERS, signedOutPage, signUpPage } from "./pages";

/**
 * A real OpenID provider on loopback (oidc-provider, a certified implementation) issuing tokens
 * of the Cognito shape, so the manager's verifier runs unchanged against it (ARCHITECTURE §2):
 * RS256 JWT access tokens with `iss`, `sub` (a stable UUID per account), `client_id`,
 * `token_use=access`, space-separated `scope`, `username`, `exp`, `iat`, `jti`; ID tokens carry
 * `token_use=id` so an API refuses them. Sign-in is a real HTML form (with sign-up) driven by
 * the provider's interaction sessions; consent is granted automatically for our own clients.
 */
export interface LocalOidcProviderOptions {
  /** Directory for keys and accounts (`<HEALTHMATE_HOME>/oidc`). Created when missing. */
  readonly dataDir: string;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** @default 0 - any free port */
  readonly port?: number;
  /** Redirect URIs of the `healthmate-ui` client. @default DEFAULT_UI_REDIRECT_URIS */
  readonly uiRedirectUris?: readonly string[];
  /** Post-logout redirect URIs of the `healthmate-ui` client. @default - none */
  readonly uiPostLogoutRedirectUris?: readonly string[];
  /**
   * Resource indicators (RFC 8707) accepted for the Healthmate API, e.g. the MCP endpoint URL.
   * The first is used when a client names none.
   * @default [DEFAULT_RESOURCE]
   */
  readonly resources?: readonly string[];
  /** @default 3600 (Cognito's default) */
  readonly accessTokenTtlSeconds?: number;
  /** @default - silent */
  readonly log?: Logger;
}

export interface LocalOidcProvider {
  /** `http://<host>:<port>` — the `iss` of every token. */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly discoveryUrl: string;
  readonly port: number;
  readonly clientIds: readonly string[];
  readonly accounts: AccountStore;
  close(): Promise<void>;
}

/** Cognito serves the JWKS here; using the same path keeps the manager's default JWKS URL right. */
const JWKS_PATH = "/.well-known/jwks.json";

export async function startOidcProvider(options: LocalOidcProviderOptions): Promise<LocalOidcProvider> {
  const host = options.host ?? "127.0.0.1";
  const resources = options.resources?.length ? [...options.resources] : [DEFAULT_RESOURCE];
  validateOptions(options, resources);
  const log = options.log ?? silentLogger;
  const secrets = await loadOrCreateSecrets(options.dataDir);
  const accounts = await AccountStore.open(options.dataDir);

  // The issuer contains the port, so bind first (port 0 = any) and build the provider after.
  const server: Server = createServer();
  const port = await listen(server, options.port ?? 0, host, "OpenID provider");
  const issuer = `http://${host}:${port}`;

  const provider = new Provider(issuer, {
    adapter: memoryAdapterClass(),
    clients: clientMetadata(options),
    findAccount: (_ctx: OidcContext, sub: string) => findAccount(accounts, sub),
    jwks: { keys: secrets.signingKeys },
    cookies: {
      keys: [...secrets.cookieKeys],
      long: { httpOnly: true, sameSite: "lax" },
      short: { httpOnly: true, sameSite: "lax" },
    },
    // Cognito-style ID token claims; `token_use` lets an API tell an ID token from an access token.
    claims: { openid: ["sub", "token_use", "cognito:username"] },
    conformIdTokenClaims: false,
    scopes: ["openid", "offline_access"],
    routes: { jwks: JWKS_PATH },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      // The access token is for the Healthmate API (below), not for a userinfo endpoint.
      userinfo: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: OidcContext, form: string) => sendPage(ctx, logoutPage(form)),
        postLogoutSuccessSource: (ctx: OidcContext) => sendPage(ctx, signedOutPage()),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => resources[0],
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: OidcContext, indicator: string): Promise<ResourceServerInfo> => {
          if (!resources.includes(indicator)) {
            throw new oidcErrors.InvalidTarget(`unknown resource '${indicator}'; this provider issues tokens for ${resources.join(", ")}`);
          }
          return {
            scope: ALL_SCOPES.join(" "),
            accessTokenFormat: "jwt",
            accessTokenTTL: options.accessTokenTtlSeconds ?? 3600,
            jwt: { sign: { alg: SIGNING_ALGORITHM } },
          };
        },
      },
    },
    extraTokenClaims: async (_ctx: OidcContext, token: OidcToken) => {
      if (token.kind !== "AccessToken" || !token.accountId) return undefined;
      return { token_use: "access", username: accounts.findBySub(token.accountId)?.username };
    },
    interactions: { url: (_ctx: OidcContext, interaction: Interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: (_ctx: OidcContext, token: { resourceServer?: { accessTokenTTL?: number } }) => token.resourceServer?.accessTokenTTL ?? 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 30 * 60,
      Session: 24 * 3600,
      Grant: 14 * 24 * 3600,
      RefreshToken: 7 * 24 * 3600,
    },
    clientBasedCORS: (_ctx: OidcContext, origin: string, client: { redirectUris?: readonly string[] }) =>
      (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    renderError: (ctx: OidcContext, out: { error?: string; error_description?: string }) => {
      sendPage(ctx, errorPage("Sign-in error", out.error_description ?? out.error ?? "the request could not be processed"));
    },
  });
  provider.on("server_error", (_ctx, error) => log.error("oidc server error", { error: String(error) }));

  server.on("request", interactionApp(provider, accounts, secrets.cookieKeys[0] as string, log));

  return {
    issuer,
    jwksUrl: `${issuer}${JWKS_PATH}`,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    port,
    clientIds: LOCAL_CLIENT_IDS,
    accounts,
    close: () => closeServer(server),
  };
}

function validateOptions(options: LocalOidcProviderOptions, resources: readonly string[]): void {
  for (const resource of resources) {
    if (!URL.parse(resource) || resource.includes("#")) throw new Error(`resource indicator must be an absolute URI without fragment, got '${resource}'`);
  }
  for (const uri of options.uiRedirectUris ?? []) {
    if (!URL.parse(uri)) throw new Error(`UI redirect URI must be an absolute URL, got '${uri}'`);
  }
  const ttl = options.accessTokenTtlSeconds;
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 60 || ttl > 86400)) throw new Error(`accessTokenTtlSeconds must be 60-86400, got ${ttl}`);
}

function clientMetadata(options: LocalOidcProviderOptions): ClientMetadata[] {
  const publicClient = { token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] };
  return [
    {
      ...publicClient,
      client_id: LocalClientId.Ui,
      client_name: "Healthmate",
      application_type: "web",
      redirect_uris: [...(options.uiRedirectUris ?? DEFAULT_UI_REDIRECT_URIS)],
      post_logout_redirect_uris: [...(options.uiPostLogoutRedirectUris ?? [])],
    },
    {
      ...publicClient,
      client_id: LocalClientId.Cli,
      client_name: "Healthmate CLI",
      application_type: "native",
      redirect_uris: [CLI_REDIRECT_URI],
    },
  ];
}

function findAccount(accounts: AccountStore, sub: string): OidcAccount | undefined {
  const account = accounts.findBySub(sub);
  if (!account) return undefined;
  return {
    accountId: account.sub,
    claims: (use) => ({
      sub: account.sub,
      "cognito:username": account.username,
      ...(use === "id_token" ? { token_use: "id" } : {}),
    }),
  };
}

function sendPage(ctx: OidcContext, html: string): void {
  ctx.type = "html";
  ctx.body = html;
}

/** Our interaction pages in front of the provider; every other path goes to the provider. */
function interactionApp(provider: Provider, accounts: AccountStore, csrfKey: string, log: Logger): express.Express {
  const app = express();
  app.disable("x-powered-by");
  const form = express.urlencoded({ extended: false, limit: "16kb" });
  const csrfToken = (uid: string) => createHmac("sha256", csrfKey).update(`csrf:${uid}`).digest("base64url");
  const csrfValid = (uid: string, sent: unknown) => {
    const expected = Buffer.from(csrfToken(uid));
    const actual = Buffer.from(typeof sent === "string" ? sent : "");
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  };
  const clientName = (interaction: Interaction) => String(interaction.params.client_id ?? "an application");
  const page = (res: Response, status: number, html: string) => res.status(status).set(PAGE_HEADERS).send(html);

  /** The interaction behind this URL, checked against the browser's interaction cookie and CSRF token. */
  const load = async (req: Request, res: Response, expect: { prompt?: string; csrf: boolean }): Promise<Interaction | undefined> => {
    let interaction: Interaction;
    try {
      interaction = await provider.interactionDetails(req, res);
    } catch {
      page(res, 400, errorPage("Sign-in expired", "This sign-in page has expired or was opened outside a sign-in. Go back to the application and sign in again."));
      return undefined;
    }
    if (interaction.uid !== req.params.uid || (expect.prompt && interaction.prompt.name !== expect.prompt)) {
      page(res, 400, errorPage("Sign-in error", "This sign-in step does not match the sign-in in progress. Go back to the application and sign in again."));
      return undefined;
    }
    if (expect.csrf && !csrfValid(interaction.uid, (req.body as Record<string, unknown> | undefined)?.csrf)) {
      page(res, 403, errorPage("Sign-in error", "The form was not sent from this sign-in page. Reload the page and try again."));
      return undefined;
    }
    return interaction;
  };

  const formProps = (interaction: Interaction, extra: { username?: string; error?: string } = {}) => ({
    uid: interaction.uid,
    clientName: clientName(interaction),
    csrfToken: csrfToken(interaction.uid),
    ...extra,
  });

  app.get("/interaction/:uid", async (req, res, next) => {
    try {
      const interaction = await load(req, res, { csrf: false });
      if (!interaction) return;
      if (interaction.prompt.name === "login") {
        page(res, 200, loginPage(formProps(interaction)));
      } else if (interaction.prompt.name === "consent") {
        await approveConsent(provider, interaction, req, res);
      } else {
        page(res, 400, errorPage("Sign-in error", `unsupported sign-in step '${interaction.prompt.name}'`));
      }
    } catch (error) {
      next(error);
    }
  });

  app.post("/interaction/:uid/login", form, async (req, res, next) => {
    try {
      const interaction = await load(req, res, { prompt: "login", csrf: true });
      if (!interaction) return;
      const { username, password } = credentials(req.body);
      try {
        const account = await accounts.authenticate(username, password);
        log.info("oidc sign-in", { sub: account.sub });
        await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
      } catch (error) {
        if (!(error instanceof AccountError)) throw error;
        page(res, 401, loginPage(formProps(interaction, { username, error: error.message })));
      }
    } catch (error) {
      next(error);
    }
  });

  app.get("/interaction/:uid/signup", async (req, res, next) => {
    try {
      const interaction = await load(req, res, { prompt: "login", csrf: false });
      if (interaction) page(res, 200, signUpPage(formProps(interaction)));
    } catch (error) {
      next(error);
    }
  });

  app.post("/interaction/:uid/signup", form, async (req, res, next) => {
    try {
      const interaction = await load(req, res, { prompt: "login", csrf: true });
      if (!interaction) return;
      const { username, password } = credentials(req.body);
      try {
        const account = await accounts.create(username, password);
        log.info("oidc sign-up", { sub: account.sub });
        await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
      } catch (error) {
        if (!(error instanceof AccountError)) throw error;
        page(res, error.code === "username_taken" ? 409 : 400, signUpPage(formProps(interaction, { username, error: error.message })));
      }
    } catch (error) {
      next(error);
    }
  });

  app.post("/interaction/:uid/abort", form, async (req, res, next) => {
    try {
      const interaction = await load(req, res, { csrf: true });
      if (!interaction) return;
      await provider.interactionFinished(req, res, { error: "access_denied", error_description: "the user cancelled the sign-in" }, { mergeWithLastSubmission: false });
    } catch (error) {
      next(error);
    }
  });

  const callback = provider.callback();
  app.use((req, res) => callback(req, res));
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    log.error("oidc interaction failed", { error: String(error) });
    if (!res.headersSent) page(res, 500, errorPage("Sign-in error", "Something went wrong on the sign-in server; try again."));
  });
  return app;
}

function credentials(body: unknown): { username: string; password: string } {
  const fields = (body ?? {}) as Record<string, unknown>;
  return {
    username: typeof fields.username === "string" ? fields.username.slice(0, 256) : "",
    password: typeof fields.password === "string" ? fields.password : "",
  };
}

/** Our own clients are first-party: the consent they ask for is granted without a page. */
async function approveConsent(provider: Provider, interaction: Interaction, req: Request, res: Response): Promise<void> {
  const clientId = String(interaction.params.client_id);
  const accountId = interaction.session?.accountId;
  if (!LOCAL_CLIENT_IDS.includes(clientId as LocalClientId) || !accountId) {
    await provider.interactionFinished(req, res, { error: "access_denied", error_description: "only Healthmate's own clients may sign in here" }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = (interaction.grantId && (await provider.Grant.find(interaction.grantId))) || new provider.Grant({ accountId, clientId });
  const { details } = interaction.prompt;
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(" "));
  if (details.missingOIDCClaims) grant.addOIDCClaims([...details.missingOIDCClaims]);
  for (const [resource, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(" "));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: interaction.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
}
