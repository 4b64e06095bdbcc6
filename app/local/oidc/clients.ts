import { ALL_SCOPES } from "../../common/auth/scopes";

/**
 * App clients of the local OpenID provider — the local twins of the Cognito app clients. Both
 * are public (no secret; authorization code + PKCE), as a browser app and a CLI must be.
 */
export const LocalClientId = {
  /** The React UI (redirects back to the UI's callback URL). */
  Ui: "healthmate-ui",
  /** Scripts and `npm run token` (loopback redirect, RFC 8252). */
  Cli: "healthmate-cli",
} as const;
export type LocalClientId = (typeof LocalClientId)[keyof typeof LocalClientId];

export const LOCAL_CLIENT_IDS: readonly LocalClientId[] = [LocalClientId.Ui, LocalClientId.Cli];

/** The CLI's redirect URI; as a native client's loopback URI any port is accepted. */
export const CLI_REDIRECT_URI = "http://127.0.0.1/callback";

/** Where the UI's dev server receives the code unless configured otherwise. */
export const DEFAULT_UI_REDIRECT_URIS: readonly string[] = ["http://127.0.0.1:5173/callback", "http://localhost:5173/callback"];

/**
 * The resource indicator (RFC 8707) of the Healthmate API. Clients that send no `resource`
 * get tokens for it; its scopes are the Healthmate resource-server scopes.
 */
export const DEFAULT_RESOURCE = "urn:healthmate:api";

/** Scopes a token gets unless the caller asks for fewer. */
export const DEFAULT_SCOPES: readonly string[] = ALL_SCOPES;
