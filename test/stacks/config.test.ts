import { ConfigError, Environment, loadConfig, physicalName } from "../../modules/config";

const SECRET = "test-origin-secret-0123456789abcdef0123456789";
const OLD_SECRET = "previous-origin-secret-0123456789abcdef01234";

describe("loadConfig", () => {
  test("defaults: dev in us-west-2, local state, localhost redirect URLs, 30-day logs", () => {
    expect(loadConfig({ HEALTHMATE_ORIGIN_SECRET: SECRET })).toEqual({
      environment: Environment.DEV,
      region: "us-west-2",
      remoteState: undefined,
      callbackUrls: ["http://localhost:5173/callback"],
      logoutUrls: ["http://localhost:5173/"],
      logRetentionDays: 30,
      alarmEmail: undefined,
      authDomainSuffix: undefined,
      originSecrets: [SECRET],
      releaseEmail: undefined,
      uiDomain: undefined,
    });
  });

  test("every variable", () => {
    const config = loadConfig({
      HEALTHMATE_ENV: "prod",
      AWS_REGION: "eu-central-1",
      HEALTHMATE_STATE_BUCKET: "acme-tf-state",
      HEALTHMATE_STATE_KEY_PREFIX: "/teams/health/",
      HEALTHMATE_STATE_REGION: "us-east-1",
      HEALTHMATE_CALLBACK_URLS: "https://app.example.com/callback, http://localhost:5173/callback",
      HEALTHMATE_LOGOUT_URLS: "https://app.example.com/",
      HEALTHMATE_LOG_RETENTION_DAYS: "731",
      HEALTHMATE_ALARM_EMAIL: "ops@example.com",
      HEALTHMATE_AUTH_DOMAIN_SUFFIX: "acme-1",
      HEALTHMATE_ORIGIN_SECRET: `${SECRET}, ${OLD_SECRET}`,
      HEALTHMATE_RELEASE_EMAIL: "releases@example.com",
      HEALTHMATE_UI_DOMAINS: "App.Example.com, www.example.com",
      HEALTHMATE_UI_CERTIFICATE_ARN: "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    });
    expect(config).toEqual({
      environment: Environment.PROD,
      region: "eu-central-1",
      remoteState: { bucket: "acme-tf-state", keyPrefix: "teams/health", region: "us-east-1" },
      callbackUrls: ["https://app.example.com/callback", "http://localhost:5173/callback"],
      logoutUrls: ["https://app.example.com/"],
      logRetentionDays: 731,
      alarmEmail: "ops@example.com",
      authDomainSuffix: "acme-1",
      originSecrets: [SECRET, OLD_SECRET],
      releaseEmail: "releases@example.com",
      uiDomain: { names: ["app.example.com", "www.example.com"], certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" },
    });
  });

  test("the origin secret is optional in local only; release mail follows the alarm address", () => {
    expect(loadConfig({ HEALTHMATE_ENV: "local" }).originSecrets).toBeUndefined();
    expect(loadConfig({ HEALTHMATE_ORIGIN_SECRET: SECRET, HEALTHMATE_ALARM_EMAIL: "ops@example.com" }).releaseEmail).toBe("ops@example.com");
  });

  test("stage and prod keep logs a year by default; the state region follows AWS_REGION", () => {
    expect(loadConfig({ HEALTHMATE_ENV: "stage", HEALTHMATE_ORIGIN_SECRET: SECRET }).logRetentionDays).toBe(365);
    expect(loadConfig({ AWS_REGION: "ap-northeast-1", HEALTHMATE_STATE_BUCKET: "b-state", HEALTHMATE_ORIGIN_SECRET: SECRET }).remoteState).toEqual({ bucket: "b-state", keyPrefix: "healthmate", region: "ap-northeast-1" });
  });

  test.each([
    [{ HEALTHMATE_ORIGIN_SECRET: "" }, "HEALTHMATE_ORIGIN_SECRET is required for dev: CloudFront sends it to the blue/green function URLs"],
    [{ HEALTHMATE_ENV: "prod", HEALTHMATE_ORIGIN_SECRET: "short" }, "HEALTHMATE_ORIGIN_SECRET must be one secret, or 'new,old' while rotating, each 32-256 characters of letters, digits and _+/=.- (got 1 value(s) of length 5)"],
    [{ HEALTHMATE_ORIGIN_SECRET: `${SECRET},${OLD_SECRET},${SECRET}` }, "(got 3 value(s)"],
    [{ HEALTHMATE_ORIGIN_SECRET: `${SECRET} with spaces` }, "each 32-256 characters"],
    [{ HEALTHMATE_RELEASE_EMAIL: "releases" }, "HEALTHMATE_RELEASE_EMAIL must be an e-mail address, got 'releases'"],
    [{ HEALTHMATE_UI_DOMAINS: "app.example.com" }, "HEALTHMATE_UI_DOMAINS and HEALTHMATE_UI_CERTIFICATE_ARN go together"],
    [{ HEALTHMATE_UI_DOMAINS: "app_example", HEALTHMATE_UI_CERTIFICATE_ARN: "arn:aws:acm:us-east-1:123456789012:certificate/abc" }, "HEALTHMATE_UI_DOMAINS must list domain names such as app.example.com, got 'app_example'"],
    [{ HEALTHMATE_UI_DOMAINS: "app.example.com", HEALTHMATE_UI_CERTIFICATE_ARN: "arn:aws:acm:eu-west-1:123456789012:certificate/abc" }, "must be an ACM certificate ARN in us-east-1 (CloudFront uses no other region)"],
    [{ HEALTHMATE_ENV: "qa" }, "HEALTHMATE_ENV must be one of local, dev, stage, prod, got 'qa'"],
    [{ AWS_REGION: "mars-1" }, "AWS_REGION must be an AWS region such as us-west-2, got 'mars-1'"],
    [{ HEALTHMATE_STATE_BUCKET: "Bad_Bucket" }, "HEALTHMATE_STATE_BUCKET must be an S3 bucket name (3-63 lowercase letters, digits, '.' or '-'), got 'Bad_Bucket'"],
    [{ HEALTHMATE_STATE_REGION: "us-east-1" }, "HEALTHMATE_STATE_REGION is set to 'us-east-1' but HEALTHMATE_STATE_BUCKET is not"],
    [{ HEALTHMATE_CALLBACK_URLS: "http://app.example.com/cb" }, "HEALTHMATE_CALLBACK_URLS: 'http://app.example.com/cb' must use https (http is allowed only for localhost)"],
    [{ HEALTHMATE_LOGOUT_URLS: "not a url" }, "HEALTHMATE_LOGOUT_URLS must list absolute URLs (https://…), got 'not a url'"],
    [{ HEALTHMATE_CALLBACK_URLS: "https://app.example.com/#x" }, "must not contain a fragment"],
    [{ HEALTHMATE_LOG_RETENTION_DAYS: "45" }, "HEALTHMATE_LOG_RETENTION_DAYS must be one of 1, 3, 5, 7, 14, 30, 60, 90"],
    [{ HEALTHMATE_LOG_RETENTION_DAYS: "forever" }, "got 'forever'"],
    [{ HEALTHMATE_ALARM_EMAIL: "ops" }, "HEALTHMATE_ALARM_EMAIL must be an e-mail address, got 'ops'"],
    [{ HEALTHMATE_AUTH_DOMAIN_SUFFIX: "Acme" }, "HEALTHMATE_AUTH_DOMAIN_SUFFIX must be 1-32 lowercase letters, digits or inner hyphens, got 'Acme'"],
    [{ HEALTHMATE_AUTH_DOMAIN_SUFFIX: "myaws" }, "must not contain 'aws', 'amazon' or 'cognito'"],
  ])("%j is refused: %s", (env, message) => {
    const withSecret = { HEALTHMATE_ORIGIN_SECRET: SECRET, ...env };
    expect(() => loadConfig(withSecret)).toThrow(ConfigError);
    expect(() => loadConfig(withSecret)).toThrow(message);
  });

  test("a refused secret is never echoed", () => {
    const secret = "s".repeat(20);
    expect(() => loadConfig({ HEALTHMATE_ORIGIN_SECRET: secret })).toThrow(/length 20\)$/);
    try {
      loadConfig({ HEALTHMATE_ORIGIN_SECRET: secret });
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
    }
  });

  test("blank values count as unset", () => {
    expect(loadConfig({ HEALTHMATE_ENV: " ", HEALTHMATE_STATE_BUCKET: "", HEALTHMATE_ORIGIN_SECRET: SECRET }).environment).toBe(Environment.DEV);
  });

  test("physical names carry the environment as suffix", () => {
    expect(physicalName("manager", Environment.STAGE)).toBe("healthmate-manager-stage");
  });
});
