/**
 * Typed deployment configuration of the three stacks. `main.ts` is the only caller of
 * `loadConfig(process.env)`; stacks and modules receive the typed result (STYLE §10).
 *
 * Environment variables (all optional):
 * | variable                         | meaning                                                    | default                      |
 * |----------------------------------|------------------------------------------------------------|------------------------------|
 * | HEALTHMATE_ENV                   | local, dev, stage or prod; names carry it as a suffix      | dev                          |
 * | AWS_REGION                       | region of every stack                                      | us-west-2                    |
 * | HEALTHMATE_STATE_BUCKET          | S3 bucket for Terraform state (enables the S3 backend)     | - local state files          |
 * | HEALTHMATE_STATE_KEY_PREFIX      | key prefix of the state objects in that bucket             | healthmate                   |
 * | HEALTHMATE_STATE_REGION          | region of the state bucket                                 | AWS_REGION                   |
 * | HEALTHMATE_CALLBACK_URLS         | comma-separated OAuth callback URLs of the UI              | http://localhost:5173/callback |
 * | HEALTHMATE_LOGOUT_URLS           | comma-separated sign-out URLs of the UI                    | http://localhost:5173/       |
 * | HEALTHMATE_LOG_RETENTION_DAYS    | CloudWatch Logs retention (a value CloudWatch accepts)     | 365 in stage/prod, 30 else   |
 * | HEALTHMATE_ALARM_EMAIL           | e-mail address subscribed to the alarm topic               | - no subscription            |
 * | HEALTHMATE_AUTH_DOMAIN_SUFFIX    | suffix of the hosted-UI domain `healthmate-<env>-<suffix>` | - the AWS account id         |
 * | HEALTHMATE_ORIGIN_SECRET         | secret CloudFront sends to the colour function URLs;       | required outside local       |
 * |                                  | `new,old` during a rotation (the first is sent)            |                              |
 * | HEALTHMATE_RELEASE_EMAIL         | e-mail address subscribed to the release topic             | HEALTHMATE_ALARM_EMAIL       |
 * | HEALTHMATE_UI_DOMAINS            | comma-separated domain names of the UI distribution        | - the *.cloudfront.net name  |
 * | HEALTHMATE_UI_CERTIFICATE_ARN    | ACM certificate (us-east-1) for those domains              | - required with the domains  |
 */

/** Deployment environments; resource names end with the environment (`healthmate-goals-prod`). */
export enum Environment {
  LOCAL = "local",
  DEV = "dev",
  STAGE = "stage",
  PROD = "prod",
}

export const ENVIRONMENTS: readonly Environment[] = [Environment.LOCAL, Environment.DEV, Environment.STAGE, Environment.PROD];

/** Environments whose data must survive mistakes: deletion protection on tables and the user pool. */
export function isProtectedEnvironment(environment: Environment): boolean {
  return environment === Environment.STAGE || environment === Environment.PROD;
}

/** `healthmate-<logical>-<env>`: the one naming rule of every physical resource. */
export function physicalName(logical: string, environment: Environment): string {
  return `healthmate-${logical}-${environment}`;
}

/** Terraform state in S3 (native S3 locking via `use_lockfile`, no DynamoDB lock table). */
export interface RemoteStateConfig {
  readonly bucket: string;
  /** Objects are `<keyPrefix>/<env>/<stack>.tfstate`. */
  readonly keyPrefix: string;
  readonly region: string;
}

export interface HealthmateConfig {
  readonly environment: Environment;
  readonly region: string;
  /**
   * Terraform state in S3.
   * @default - local state files next to cdktf.json (`terraform.<stack>.<env>.tfstate`)
   */
  readonly remoteState?: RemoteStateConfig;
  /** OAuth redirect URLs of the UI app client. */
  readonly callbackUrls: readonly string[];
  readonly logoutUrls: readonly string[];
  readonly logRetentionDays: number;
  /**
   * Address subscribed to the alarm topic.
   * @default - alarms publish to the topic without a subscription
   */
  readonly alarmEmail?: string;
  /**
   * Suffix of the hosted-UI domain prefix `healthmate-<env>-<suffix>`.
   * @default - the AWS account id (unique per account and region)
   */
  readonly authDomainSuffix?: string;
  /**
   * Secrets the colour function URLs accept in the origin-secret header; CloudFront sends the
   * first. Two values only while rotating (docs: README "Release infrastructure on AWS").
   * @default - none: allowed only in `local`, where nothing is deployed behind CloudFront
   */
  readonly originSecrets?: readonly string[];
  /**
   * Address subscribed to the release notification topic.
   * @default - alarmEmail, else no subscription
   */
  readonly releaseEmail?: string;
  /**
   * Custom domain names of the UI distribution with their ACM certificate; only with a certificate
   * does CloudFront enforce TLS 1.2 (the default *.cloudfront.net certificate allows TLS 1.0).
   * @default - the distribution's own *.cloudfront.net name and certificate
   */
  readonly uiDomain?: UiDomainConfig;
}

/** The UI distribution's own domain names and the ACM certificate (in us-east-1) that covers them. */
export interface UiDomainConfig {
  readonly names: readonly string[];
  readonly certificateArn: string;
}

export const DEFAULT_REGION = "us-west-2";
export const DEFAULT_CALLBACK_URLS: readonly string[] = ["http://localhost:5173/callback"];
export const DEFAULT_LOGOUT_URLS: readonly string[] = ["http://localhost:5173/"];

/** The retention values CloudWatch Logs accepts (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export const CONFIG_ENV = {
  environment: "HEALTHMATE_ENV",
  region: "AWS_REGION",
  stateBucket: "HEALTHMATE_STATE_BUCKET",
  stateKeyPrefix: "HEALTHMATE_STATE_KEY_PREFIX",
  stateRegion: "HEALTHMATE_STATE_REGION",
  callbackUrls: "HEALTHMATE_CALLBACK_URLS",
  logoutUrls: "HEALTHMATE_LOGOUT_URLS",
  logRetentionDays: "HEALTHMATE_LOG_RETENTION_DAYS",
  alarmEmail: "HEALTHMATE_ALARM_EMAIL",
  authDomainSuffix: "HEALTHMATE_AUTH_DOMAIN_SUFFIX",
  originSecret: "HEALTHMATE_ORIGIN_SECRET",
  releaseEmail: "HEALTHMATE_RELEASE_EMAIL",
  uiDomains: "HEALTHMATE_UI_DOMAINS",
  uiCertificateArn: "HEALTHMATE_UI_CERTIFICATE_ARN",
} as const;

/** Thrown for a configuration value that cannot be used; the message names the value and what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
// S3 bucket naming rules (3-63 chars, lowercase, digits, dots, hyphens; starts and ends alphanumeric).
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KEY_PREFIX_PATTERN = /^[A-Za-z0-9!_.*'()/-]{1,200}$/;
// Cognito domain prefixes: lowercase letters, digits and hyphens.
const DOMAIN_SUFFIX_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
// Header-safe and long enough to be unguessable: `openssl rand -hex 32` gives 64 characters.
const ORIGIN_SECRET_PATTERN = /^[A-Za-z0-9_+/=.-]{32,256}$/;
const DOMAIN_NAME_PATTERN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
// CloudFront only uses certificates from ACM in us-east-1.
const CLOUDFRONT_CERTIFICATE_PATTERN = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[A-Za-z0-9-]+$/;

/** Validates the environment variables listed above and returns the typed configuration. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): HealthmateConfig {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw ? raw : undefined;
  };

  const environment = parseEnvironment(value(CONFIG_ENV.environment) ?? Environment.DEV);
  const region = parseRegion(CONFIG_ENV.region, value(CONFIG_ENV.region) ?? DEFAULT_REGION);

  let remoteState: RemoteStateConfig | undefined;
  const bucket = value(CONFIG_ENV.stateBucket);
  if (bucket) {
    if (!BUCKET_PATTERN.test(bucket) || bucket.includes("..")) {
      throw new ConfigError(`${CONFIG_ENV.stateBucket} must be an S3 bucket name (3-63 lowercase letters, digits, '.' or '-'), got '${bucket}'`);
    }
    const keyPrefix = (value(CONFIG_ENV.stateKeyPrefix) ?? "healthmate").replace(/^\/+|\/+$/g, "");
    if (!KEY_PREFIX_PATTERN.test(keyPrefix)) {
      throw new ConfigError(`${CONFIG_ENV.stateKeyPrefix} must be 1-200 characters of letters, digits and !_.*'()/-, got '${keyPrefix}'`);
    }
    remoteState = { bucket, keyPrefix, region: parseRegion(CONFIG_ENV.stateRegion, value(CONFIG_ENV.stateRegion) ?? region) };
  } else {
    for (const name of [CONFIG_ENV.stateKeyPrefix, CONFIG_ENV.stateRegion]) {
      if (value(name)) throw new ConfigError(`${name} is set to '${value(name)}' but ${CONFIG_ENV.stateBucket} is not; set the bucket to use remote state, or unset ${name}`);
    }
  }

  const callbackUrls = parseUrls(CONFIG_ENV.callbackUrls, value(CONFIG_ENV.callbackUrls), DEFAULT_CALLBACK_URLS);
  const logoutUrls = parseUrls(CONFIG_ENV.logoutUrls, value(CONFIG_ENV.logoutUrls), DEFAULT_LOGOUT_URLS);

  const retentionText = value(CONFIG_ENV.logRetentionDays);
  const logRetentionDays = retentionText === undefined ? defaultLogRetentionDays(environment) : Number(retentionText);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    throw new ConfigError(`${CONFIG_ENV.logRetentionDays} must be one of ${LOG_RETENTION_DAYS.join(", ")} (days CloudWatch Logs accepts), got '${retentionText}'`);
  }

  const alarmEmail = value(CONFIG_ENV.alarmEmail);
  if (alarmEmail !== undefined && (!EMAIL_PATTERN.test(alarmEmail) || alarmEmail.length > 254)) {
    throw new ConfigError(`${CONFIG_ENV.alarmEmail} must be an e-mail address, got '${alarmEmail}'`);
  }

  const authDomainSuffix = value(CONFIG_ENV.authDomainSuffix);
  if (authDomainSuffix !== undefined && !DOMAIN_SUFFIX_PATTERN.test(authDomainSuffix)) {
    throw new ConfigError(`${CONFIG_ENV.authDomainSuffix} must be 1-32 lowercase letters, digits or inner hyphens, got '${authDomainSuffix}'`);
  }
  if (authDomainSuffix !== undefined && /aws|amazon|cognito/.test(authDomainSuffix)) {
    throw new ConfigError(`${CONFIG_ENV.authDomainSuffix} must not contain 'aws', 'amazon' or 'cognito' (Cognito reserves them), got '${authDomainSuffix}'`);
  }

  const originSecrets = parseOriginSecrets(environment, value(CONFIG_ENV.originSecret));

  const releaseEmail = value(CONFIG_ENV.releaseEmail);
  if (releaseEmail !== undefined && (!EMAIL_PATTERN.test(releaseEmail) || releaseEmail.length > 254)) {
    throw new ConfigError(`${CONFIG_ENV.releaseEmail} must be an e-mail address, got '${releaseEmail}'`);
  }

  const uiDomain = parseUiDomain(value(CONFIG_ENV.uiDomains), value(CONFIG_ENV.uiCertificateArn));

  return {
    environment,
    region,
    remoteState,
    callbackUrls,
    logoutUrls,
    logRetentionDays,
    alarmEmail,
    authDomainSuffix,
    originSecrets,
    releaseEmail: releaseEmail ?? alarmEmail,
    uiDomain,
  };
}

/** Required outside `local`: without it the colour function URLs would be open to anyone. */
function parseOriginSecrets(environment: Environment, raw: string | undefined): readonly string[] | undefined {
  const name = CONFIG_ENV.originSecret;
  if (raw === undefined) {
    if (environment === Environment.LOCAL) return undefined;
    throw new ConfigError(
      `${name} is required for ${environment}: CloudFront sends it to the blue/green function URLs and the functions refuse requests without it. Generate one with \`openssl rand -hex 32\` and keep it out of the repository.`,
    );
  }
  const secrets = raw.split(",").map((part) => part.trim());
  if (secrets.length > 2 || secrets.some((secret) => !ORIGIN_SECRET_PATTERN.test(secret))) {
    throw new ConfigError(
      `${name} must be one secret, or 'new,old' while rotating, each 32-256 characters of letters, digits and _+/=.- (got ${secrets.length} value(s) of length ${secrets.map((secret) => secret.length).join(", ")})`,
    );
  }
  return secrets;
}

function parseUiDomain(rawNames: string | undefined, certificateArn: string | undefined): UiDomainConfig | undefined {
  if (rawNames === undefined && certificateArn === undefined) return undefined;
  if (rawNames === undefined || certificateArn === undefined) {
    throw new ConfigError(`${CONFIG_ENV.uiDomains} and ${CONFIG_ENV.uiCertificateArn} go together: set both (a custom domain needs its certificate) or neither`);
  }
  const names = rawNames
    .split(",")
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean);
  for (const domain of names) {
    if (!DOMAIN_NAME_PATTERN.test(domain)) throw new ConfigError(`${CONFIG_ENV.uiDomains} must list domain names such as app.example.com, got '${domain}'`);
  }
  if (names.length === 0) throw new ConfigError(`${CONFIG_ENV.uiDomains} must list at least one domain name, got '${rawNames}'`);
  if (!CLOUDFRONT_CERTIFICATE_PATTERN.test(certificateArn)) {
    throw new ConfigError(`${CONFIG_ENV.uiCertificateArn} must be an ACM certificate ARN in us-east-1 (CloudFront uses no other region), got '${certificateArn}'`);
  }
  return { names, certificateArn };
}

export function defaultLogRetentionDays(environment: Environment): number {
  return isProtectedEnvironment(environment) ? 365 : 30;
}

function parseEnvironment(raw: string): Environment {
  const environment = ENVIRONMENTS.find((candidate) => candidate === raw);
  if (!environment) throw new ConfigError(`${CONFIG_ENV.environment} must be one of ${ENVIRONMENTS.join(", ")}, got '${raw}'`);
  return environment;
}

function parseRegion(name: string, raw: string): string {
  if (!REGION_PATTERN.test(raw)) throw new ConfigError(`${name} must be an AWS region such as us-west-2, got '${raw}'`);
  return raw;
}

/** Comma-separated absolute URLs; https, or http only on loopback (Cognito's rule for redirect URLs). */
function parseUrls(name: string, raw: string | undefined, fallback: readonly string[]): readonly string[] {
  if (raw === undefined) return fallback;
  const urls = raw
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  if (urls.length === 0 || urls.length > 100) throw new ConfigError(`${name} must list 1-100 comma-separated URLs, got '${raw}'`);
  for (const text of urls) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ConfigError(`${name} must list absolute URLs (https://…), got '${text}'`);
    }
    const loopbackHttp = url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
    if (url.protocol !== "https:" && !loopbackHttp) {
      throw new ConfigError(`${name}: '${text}' must use https (http is allowed only for localhost)`);
    }
    if (url.hash) throw new ConfigError(`${name}: '${text}' must not contain a fragment (#…)`);
  }
  return urls;
}
