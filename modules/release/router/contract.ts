/**
 * The contract between the release state, the CloudFront KeyValueStore, the edge router
 * functions (viewer-request.js / viewer-response.js in this folder, cloudfront-js-2.0) and the
 * local edge. The router files are plain JavaScript for the CloudFront runtime and cannot import
 * this module; test/release/router.test.ts checks they use exactly these names.
 */
export const Colour = { Blue: "blue", Green: "green" } as const;
export type Colour = (typeof Colour)[keyof typeof Colour];
export const COLOURS: readonly Colour[] = [Colour.Blue, Colour.Green];

export function otherColour(colour: Colour): Colour {
  return colour === Colour.Blue ? Colour.Green : Colour.Blue;
}

/** KeyValueStore keys (values are strings). */
export const KvsKey = {
  /** Canary weight 0-100 for the candidate (non-stable) colour. */
  CanaryWeight: "canary_weight",
  /** "blue" or "green". */
  StableColour: "stable_colour",
  /** UI release folder of each colour: S3 `releases/<version>/`. */
  UiVersionBlue: "ui_version_blue",
  UiVersionGreen: "ui_version_green",
} as const;

/** The visitor's cohort 0-99, assigned on first visit; one cookie decides the whole visitor's colour. */
export const COHORT_COOKIE = "hm_cohort";

/** Request header the viewer-request function sets for viewer-response (and origins) to read. */
export const Header = {
  Cohort: "x-healthmate-cohort",
  /** Present when the cohort was assigned on this request: viewer-response sets the cookie. */
  NewCohort: "x-healthmate-new-cohort",
  Colour: "x-healthmate-colour",
  /** Set by each origin: the version that served the request. */
  Version: "x-healthmate-version",
  /** Secret header CloudFront adds to requests to the function URLs; the functions refuse others. */
  OriginSecret: "x-healthmate-origin-secret",
  /**
   * The viewer's Host, set by viewer-request on API requests (CloudFront sends the origin its own
   * host). The manager builds its public URLs from it, trusting it only with the origin secret.
   */
  ForwardedHost: "x-forwarded-host",
  /** Set by the local edge only (plain http there); on AWS the edge is https, the default. */
  ForwardedProto: "x-forwarded-proto",
} as const;

/** Services behind the edge, by path prefix; everything else is the UI. */
export const ApiService = { Manager: "manager", Coach: "coach" } as const;
export type ApiService = (typeof ApiService)[keyof typeof ApiService];
/**
 * Each service's path prefixes (a CloudFront behaviour `<prefix>*` each). The manager also serves
 * its RFC 9728 protected-resource metadata, so OAuth discovery works through the site URL.
 */
export const API_PATH_PREFIXES: Readonly<Record<ApiService, readonly string[]>> = {
  manager: ["/mcp", "/.well-known/oauth-protected-resource"],
  coach: ["/coach"],
};

/** CloudFront origin id of a service's colour (also the local edge's route names). */
export function originId(service: ApiService, colour: Colour): string {
  return `${service}-${colour}`;
}
export const UI_ORIGIN_ID = "ui";
/** S3 prefix of a UI release. */
export function uiReleasePrefix(version: string): string {
  return `releases/${version}`;
}
