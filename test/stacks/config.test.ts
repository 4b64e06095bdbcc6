import { ConfigError, Environment, loadConfig, physicalName } from "../../modules/config";

describe("loadConfig", () => {
  test("defaults: dev in us-west-2, local state, localhost redirect URLs, 30-day logs", () => {
    expect(loadConfig({})).toEqual({
      environment: Environment.DEV,
      region: "us-west-2",
      remoteState: undefined,
      callbackUrls: ["http://localhost:5173/callback"],
      logoutUrls: ["http://localhost:5173/"],
      logRetentionDays: 30,
      alarmEmail: undefined,
      authDomainSuffix: undefined,
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
    });
  });

  test("stage and prod keep logs a year by default; the state region follows AWS_REGION", () => {
    expect(loadConfig({ HEALTHMATE_ENV: "stage" }).logRetentionDays).toBe(365);
    expect(loadConfig({ AWS_REGION: "ap-northeast-1", HEALTHMATE_STATE_BUCKET: "b-state" }).remoteState).toEqual({ bucket: "b-state", keyPrefix: "healthmate", region: "ap-northeast-1" });
  });

  test.each([
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
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test("blank values count as unset", () => {
    expect(loadConfig({ HEALTHMATE_ENV: " ", HEALTHMATE_STATE_BUCKET: "" }).environment).toBe(Environment.DEV);
  });

  test("physical names carry the environment as suffix", () => {
    expect(physicalName("manager", Environment.STAGE)).toBe("healthmate-manager-stage");
  });
});
