import { App, TerraformStack } from "cdktf";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { NotificationTopic } from "../../modules/alarms";
import { AwsAccount } from "../../modules/account";
import { Environment, loadConfig } from "../../modules/config";
import { FunctionUrlAuth, FunctionUrlEndpoint } from "../../modules/endpoint";
import { NodeFunction } from "../../modules/function";
import { EncryptionKey } from "../../modules/key";
import { aliasRouting, colourAlarmNamePrefix, NOTHING_STAGED, ReleaseAliases } from "../../modules/release/aliases";
import { DEFAULT_ROUTER_DIRECTORY, EdgeRouter, EMPTY_SLOT_VALUE, kvsValues, MAX_FUNCTION_CODE_BYTES } from "../../modules/release/edge-router";
import { ApiService } from "../../modules/release/router/contract";
import { readReleaseStateFile, releaseStateFile } from "../../modules/release/state-file";
import { contentSecurityPolicy, SiteDistribution, UiReleaseBucket } from "../../modules/site";
import { initialState, type ReleaseState } from "../../release/state";
import { defineStacks } from "../../stacks/app";
import { Template, testApp, type Props } from "../support/template";

// The release state rendered by the stacks (issue #3 §1, §4): aliases and KeyValueStore keys
// follow the state; nothing else does. Stacks are synthesized with app.synth() as main.ts does,
// so the ui stack's cross-stack references to the manager's colour URLs are real.

const ORIGIN_SECRET = "test-origin-secret-0123456789abcdef0123456789";
const temp: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), `healthmate-release-${prefix}-`));
  temp.push(dir);
  return dir;
};
// One staging folder for every synth here: the manager bundle is built once, then reused.
const staging = tempDir("bundle");
afterAll(() => temp.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface Synthesized {
  readonly manager: Template;
  readonly ui: Template;
}

function synth(release: ReleaseState | undefined, env: Record<string, string> = {}): Synthesized {
  const outdir = tempDir("synth");
  const app = new App({ outdir });
  defineStacks(app, loadConfig({ HEALTHMATE_ORIGIN_SECRET: ORIGIN_SECRET, ...env }), { release, stagingDirectory: staging });
  app.synth();
  return { manager: Template.fromSynthesizedApp(outdir, "manager"), ui: Template.fromSynthesizedApp(outdir, "ui") };
}

const state = (overrides: Partial<ReleaseState>): ReleaseState => ({ ...initialState("dev"), revision: 1, ...overrides });
/** green staged at weight 0 (manager 5, UI build 8) beside stable blue (manager 4, UI build 7). */
const staged = state({ stableColour: "blue", canaryWeight: 0, services: { manager: { blue: "4", green: "5" }, ui: { blue: "7", green: "8" } } });
const canary10 = { ...staged, canaryWeight: 10 };
const rolledBack = { ...canary10, canaryWeight: 0 };
const promoted = { ...staged, stableColour: "green" as const, canaryWeight: 0 };

const alias = (template: Template, name: string): Props => template.findResources("aws_lambda_alias", { name })[0] as Props;
const kvs = (template: Template): Record<string, unknown> => Object.fromEntries(Object.values(template.resourcesOfType("aws_cloudfrontkeyvaluestore_key")).map((key) => [key.key, key.value]));

/** Every resource address whose synthesized JSON differs between two syntheses (both stacks). */
function changedResources(a: Synthesized, b: Synthesized): string[] {
  const changed: string[] = [];
  for (const stack of ["manager", "ui"] as const) {
    const before = a[stack].json.resource ?? {};
    const after = b[stack].json.resource ?? {};
    for (const type of new Set([...Object.keys(before), ...Object.keys(after)])) {
      for (const name of new Set([...Object.keys(before[type] ?? {}), ...Object.keys(after[type] ?? {})])) {
        if (JSON.stringify(before[type]?.[name]) !== JSON.stringify(after[type]?.[name])) changed.push(`${stack}:${type}.${name}`);
      }
    }
  }
  return changed.sort();
}

let fresh: Synthesized;
let stagedSynth: Synthesized;
let canary: Synthesized;
let rollback: Synthesized;
let promote: Synthesized;
beforeAll(() => {
  fresh = synth(undefined);
  stagedSynth = synth(staged);
  canary = synth(canary10);
  rollback = synth(rolledBack);
  promote = synth(promoted);
});

describe("the release state rendered", () => {
  test("canary 10: live on the stable version with 0.1 for the candidate; KVS canary_weight 10", () => {
    expect(alias(canary.manager, "live")).toMatchObject({ function_version: "4", routing_config: { additional_version_weights: { "5": 0.1 } } });
    expect(alias(canary.manager, "blue").function_version).toBe("4");
    expect(alias(canary.manager, "green").function_version).toBe("5");
    expect(kvs(canary.ui)).toEqual({ canary_weight: "10", stable_colour: "blue", ui_version_blue: "7", ui_version_green: "8" });
  });

  test("rollback (weight 0): no routing weight on live, KVS canary_weight 0", () => {
    expect(alias(rollback.manager, "live").function_version).toBe("4");
    expect(alias(rollback.manager, "live").routing_config).toBeUndefined();
    expect(kvs(rollback.ui)).toMatchObject({ canary_weight: "0", stable_colour: "blue" });
  });

  test("promote: live moves to green's version, stable_colour green; the colour aliases stay", () => {
    expect(alias(promote.manager, "live")).toMatchObject({ function_version: "5" });
    expect(alias(promote.manager, "live").routing_config).toBeUndefined();
    expect([alias(promote.manager, "blue").function_version, alias(promote.manager, "green").function_version]).toEqual(["4", "5"]);
    expect(kvs(promote.ui)).toEqual({ canary_weight: "0", stable_colour: "green", ui_version_blue: "7", ui_version_green: "8" });
  });

  test("the distribution and the CloudFront functions are byte-identical across staged, canary, rollback and promote", () => {
    const edge = (synthesized: Synthesized) =>
      JSON.stringify([synthesized.ui.resourcesOfType("aws_cloudfront_distribution"), synthesized.ui.resourcesOfType("aws_cloudfront_function"), synthesized.ui.resourcesOfType("aws_cloudfront_key_value_store")]);
    for (const other of [canary, rollback, promote]) expect(edge(other)).toBe(edge(stagedSynth));
  });

  test("canary, rollback and promote change Lambda aliases and KVS keys only", () => {
    const live = (synthesized: Synthesized) => `manager:aws_lambda_alias.${synthesized.manager.resourceName("aws_lambda_alias", { name: "live" })}`;
    const key = (synthesized: Synthesized, name: string) => `ui:aws_cloudfrontkeyvaluestore_key.${synthesized.ui.resourceName("aws_cloudfrontkeyvaluestore_key", { key: name })}`;
    expect(changedResources(stagedSynth, canary)).toEqual([live(canary), key(canary, "canary_weight")].sort());
    expect(changedResources(canary, rollback)).toEqual([live(canary), key(canary, "canary_weight")].sort());
    expect(changedResources(canary, promote)).toEqual([live(canary), key(canary, "canary_weight"), key(canary, "stable_colour")].sort());
    for (const [a, b] of [
      [stagedSynth, canary],
      [canary, rollback],
      [canary, promote],
      [fresh, stagedSynth],
    ] as const) {
      for (const address of changedResources(a, b)) expect(address).toMatch(/^(manager:aws_lambda_alias|ui:aws_cloudfrontkeyvaluestore_key)\./);
    }
  });

  test("a fresh environment (empty slots) synthesizes: every alias on the latest published version, empty UI slots", () => {
    const version = `\${aws_lambda_function.${fresh.manager.resourceName("aws_lambda_function")}.version}`;
    for (const name of ["live", "blue", "green"]) expect(alias(fresh.manager, name)).toMatchObject({ function_version: version });
    expect(alias(fresh.manager, "live").routing_config).toBeUndefined();
    expect(kvs(fresh.ui)).toEqual({ canary_weight: "0", stable_colour: "blue", ui_version_blue: EMPTY_SLOT_VALUE, ui_version_green: EMPTY_SLOT_VALUE });
  });

  test("a state of another environment is refused", () => {
    expect(() => defineStacks(new App({ outdir: tempDir("mismatch") }), loadConfig({ HEALTHMATE_ORIGIN_SECRET: ORIGIN_SECRET }), { release: initialState("prod") })).toThrow(
      "defineStacks: the release state is for 'prod' but the configuration is for 'dev'",
    );
  });
});

describe("aliasRouting and kvsValues (pure)", () => {
  const latest = "${aws_lambda_function.f.version}";
  test.each([
    ["weight 100", { stableColour: "blue", canaryWeight: 100, slots: { blue: "4", green: "5" } }, "4", { "5": 1 }],
    ["weight 1", { stableColour: "green", canaryWeight: 1, slots: { blue: "6", green: "5" } }, "5", { "6": 0.01 }],
    ["candidate slot empty", { stableColour: "blue", canaryWeight: 10, slots: { blue: "4", green: null } }, "4", {}],
    ["stable slot empty (its version is unknown until deploy)", { stableColour: "blue", canaryWeight: 10, slots: { blue: null, green: "5" } }, latest, {}],
    ["candidate equals stable", { stableColour: "blue", canaryWeight: 50, slots: { blue: "4", green: "4" } }, "4", {}],
    ["nothing staged", NOTHING_STAGED, latest, {}],
  ] as const)("%s", (_name, pointers, liveVersion, liveWeights) => {
    const routing = aliasRouting(pointers, latest);
    expect(routing.liveVersion).toBe(liveVersion);
    expect(routing.liveWeights).toEqual(liveWeights);
  });

  test("KVS values are strings; an empty UI slot is a value no version can take", () => {
    expect(kvsValues({ stableColour: "green", canaryWeight: 0 })).toEqual({ canary_weight: "0", stable_colour: "green", ui_version_blue: "-", ui_version_green: "-" });
    expect(/^[A-Za-z0-9]/.test(EMPTY_SLOT_VALUE)).toBe(false);
  });
});

describe("colour aliases", () => {
  test("one HTTPS function URL per alias (auth NONE, guarded by the origin secret in the function)", () => {
    for (const name of ["blue", "green", "live"]) {
      expect(stagedSynth.manager.findResources("aws_lambda_function_url", { qualifier: stagedSynth.manager.ref("aws_lambda_alias", { name }, "name") })).toEqual([
        expect.objectContaining({ authorization_type: "NONE", invoke_mode: "BUFFERED" }),
      ]);
    }
    const variables = (stagedSynth.manager.onlyResource("aws_lambda_function").environment as { variables: Record<string, string> }).variables;
    expect(variables).toMatchObject({ HEALTHMATE_ORIGIN_SECRET: ORIGIN_SECRET, HEALTHMATE_ORIGIN_OPEN_ALIASES: "live" });
  });

  test("errors, throttles and p99 duration alarms per colour, named by the prefix the release commands list", () => {
    const topic = stagedSynth.manager.ref("aws_sns_topic", { name: "healthmate-release-dev" }, "arn");
    const functionName = stagedSynth.manager.ref("aws_lambda_function", {}, "function_name");
    for (const colour of ["blue", "green"] as const) {
      const prefix = colourAlarmNamePrefix(ApiService.Manager, Environment.DEV, colour);
      expect(prefix).toBe(`healthmate-manager-dev-${colour}-`);
      const alarms = Object.values(stagedSynth.manager.resourcesOfType("aws_cloudwatch_metric_alarm")).filter((alarm) => String(alarm.alarm_name).startsWith(prefix));
      expect(alarms.map((alarm) => alarm.alarm_name).sort()).toEqual([`${prefix}duration-p99`, `${prefix}errors`, `${prefix}throttles`]);
      for (const alarm of alarms) {
        expect(alarm).toMatchObject({ namespace: "AWS/Lambda", period: 60, dimensions: { FunctionName: functionName, Resource: `${functionName}:${colour}` }, alarm_actions: [topic], ok_actions: [topic] });
      }
      // 80 % of the 30 s timeout; percentiles over a handful of canary requests do not alarm.
      expect(alarms.find((alarm) => alarm.metric_name === "Duration")).toMatchObject({ extended_statistic: "p99", threshold: 24000, evaluate_low_sample_count_percentiles: "ignore" });
    }
  });

  test("the release topic is encrypted and e-mails the configured address (default: the alarm address)", () => {
    const withMail = synth(undefined, { HEALTHMATE_ALARM_EMAIL: "ops@example.com", HEALTHMATE_RELEASE_EMAIL: "releases@example.com" });
    const topic = withMail.manager.findResources("aws_sns_topic", { name: "healthmate-release-dev" })[0];
    expect(topic?.kms_master_key_id).toBe(withMail.manager.ref("aws_kms_key", {}, "arn"));
    const arn = withMail.manager.ref("aws_sns_topic", { name: "healthmate-release-dev" }, "arn");
    expect(withMail.manager.findResources("aws_sns_topic_subscription", { topic_arn: arn })).toEqual([expect.objectContaining({ protocol: "email", endpoint: "releases@example.com" })]);
    expect(stagedSynth.manager.resourceCount("aws_sns_topic_subscription")).toBe(0);
    const alarmMailOnly = synth(undefined, { HEALTHMATE_ALARM_EMAIL: "ops@example.com" });
    const releaseTopic = alarmMailOnly.manager.ref("aws_sns_topic", { name: "healthmate-release-dev" }, "arn");
    expect(alarmMailOnly.manager.findResources("aws_sns_topic_subscription", { topic_arn: releaseTopic })).toEqual([expect.objectContaining({ endpoint: "ops@example.com" })]);
  });
});

describe("the ui stack", () => {
  test("S3: private bucket of release folders — public access blocked, ACLs off, versioning, SSE, TLS-only policy, CloudFront reads releases/*", () => {
    const ui = stagedSynth.ui;
    const bucket = ui.onlyResource("aws_s3_bucket");
    const caller = Object.keys(ui.dataOfType("aws_caller_identity"))[0];
    expect(bucket).toMatchObject({ bucket: `healthmate-ui-dev-\${data.aws_caller_identity.${caller}.account_id}-us-west-2`, force_destroy: true });
    const id = ui.ref("aws_s3_bucket", {}, "id");
    expect(ui.onlyResource("aws_s3_bucket_public_access_block")).toMatchObject({ bucket: id, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(ui.onlyResource("aws_s3_bucket_ownership_controls")).toMatchObject({ bucket: id, rule: { object_ownership: "BucketOwnerEnforced" } });
    expect(ui.onlyResource("aws_s3_bucket_versioning")).toMatchObject({ bucket: id, versioning_configuration: { status: "Enabled" } });
    expect(ui.onlyResource("aws_s3_bucket_server_side_encryption_configuration")).toMatchObject({ bucket: id, rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" }, bucket_key_enabled: true }] });
    expect(ui.onlyResource("aws_s3_bucket_lifecycle_configuration").rule).toEqual([expect.objectContaining({ status: "Enabled", noncurrent_version_expiration: [{ noncurrent_days: 90 }] })]);

    const policy = ui.onlyResource("aws_s3_bucket_policy");
    expect(policy.depends_on).toEqual([`aws_s3_bucket_public_access_block.${ui.resourceName("aws_s3_bucket_public_access_block")}`]);
    const documentName = /data\.aws_iam_policy_document\.([^.]+)\.json/.exec(String(policy.policy))?.[1] as string;
    const statements = ui.dataOfType("aws_iam_policy_document")[documentName]?.statement as Props[];
    const arn = ui.ref("aws_s3_bucket", {}, "arn");
    expect(statements).toEqual([
      expect.objectContaining({ sid: "DenyInsecureTransport", effect: "Deny", actions: ["s3:*"], resources: [arn, `${arn}/*`], condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }] }),
      expect.objectContaining({
        sid: "CloudFrontReadsReleases",
        effect: "Allow",
        actions: ["s3:GetObject"],
        resources: [`${arn}/releases/*`],
        principals: [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }],
        condition: [{ test: "StringEquals", variable: "AWS:SourceArn", values: [ui.ref("aws_cloudfront_distribution", {}, "arn")] }],
      }),
    ]);
    expect(synth(undefined, { HEALTHMATE_ENV: "prod" }).ui.onlyResource("aws_s3_bucket").force_destroy).toBe(false);
  });

  test("distribution: the UI origin through OAC, a function-URL origin per colour with the origin secret, HTTPS only", () => {
    const ui = stagedSynth.ui;
    const distribution = ui.onlyResource("aws_cloudfront_distribution");
    const origins = distribution.origin as Props[];
    expect(origins[0]).toEqual({ origin_id: "ui", domain_name: ui.ref("aws_s3_bucket", {}, "bucket_regional_domain_name"), origin_access_control_id: ui.ref("aws_cloudfront_origin_access_control", {}, "id") });
    expect(ui.onlyResource("aws_cloudfront_origin_access_control")).toMatchObject({ origin_access_control_origin_type: "s3", signing_behavior: "always", signing_protocol: "sigv4" });
    for (const origin of origins.slice(1)) {
      expect(origin).toMatchObject({
        custom_header: [{ name: "x-healthmate-origin-secret", value: ORIGIN_SECRET }],
        custom_origin_config: { origin_protocol_policy: "https-only", origin_ssl_protocols: ["TLSv1.2"], https_port: 443, origin_read_timeout: 60 },
      });
      expect(origin.domain_name).toMatch(/^\$\{trimsuffix\(trimprefix\(data\.terraform_remote_state\.cross-stack-reference-input-manager\.outputs\.[^,]+, "https:\/\/"\), "\/"\)\}$/);
    }
    expect(origins.map((origin) => origin.origin_id)).toEqual(["ui", "manager-blue", "manager-green"]);
    expect(distribution).toMatchObject({ enabled: true, http_version: "http2and3", is_ipv6_enabled: true, price_class: "PriceClass_100", viewer_certificate: { cloudfront_default_certificate: true } });
    expect(distribution.custom_error_response).toBeUndefined(); // it would replace API errors with a page
  });

  test("behaviours: /mcp* and the protected-resource metadata uncached with every viewer header but Host; both router functions and the headers policy on every behaviour", () => {
    const ui = stagedSynth.ui;
    const distribution = ui.onlyResource("aws_cloudfront_distribution");
    const functions = [
      { event_type: "viewer-request", function_arn: ui.ref("aws_cloudfront_function", { name: "healthmate-router-request-dev" }, "arn") },
      { event_type: "viewer-response", function_arn: ui.ref("aws_cloudfront_function", { name: "healthmate-router-response-dev" }, "arn") },
    ];
    const headersPolicy = ui.ref("aws_cloudfront_response_headers_policy", {}, "id");
    expect(distribution.default_cache_behavior).toMatchObject({
      target_origin_id: "ui",
      viewer_protocol_policy: "redirect-to-https",
      allowed_methods: ["GET", "HEAD"],
      cache_policy_id: "658327ea-f89d-4fab-a63d-7e88639e58f6",
      response_headers_policy_id: headersPolicy,
      function_association: functions,
    });
    // OAuth discovery (RFC 9728) through the site URL: the metadata goes to the manager like /mcp.
    expect(distribution.ordered_cache_behavior).toEqual(
      ["/mcp*", "/.well-known/oauth-protected-resource*"].map((pathPattern) =>
        expect.objectContaining({
          path_pattern: pathPattern,
          target_origin_id: "manager-blue",
          viewer_protocol_policy: "redirect-to-https",
          allowed_methods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
          cache_policy_id: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
          origin_request_policy_id: "b689b0a8-53d0-40ab-baf2-68738e2966ac",
          response_headers_policy_id: headersPolicy,
          function_association: functions,
        }),
      ),
    );
  });

  test("a custom domain gets its ACM certificate, SNI and TLSv1.2_2021", () => {
    const arn = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    const custom = synth(undefined, { HEALTHMATE_UI_DOMAINS: "app.example.com", HEALTHMATE_UI_CERTIFICATE_ARN: arn });
    expect(custom.ui.onlyResource("aws_cloudfront_distribution")).toMatchObject({
      aliases: ["app.example.com"],
      viewer_certificate: { acm_certificate_arn: arn, ssl_support_method: "sni-only", minimum_protocol_version: "TLSv1.2_2021" },
    });
    expect(custom.ui.output("SiteUrl").value).toBe("https://app.example.com");
  });

  test("response headers: HSTS, nosniff, frame DENY, referrer policy and a CSP that admits the hosted UI", () => {
    const policy = stagedSynth.ui.onlyResource("aws_cloudfront_response_headers_policy");
    expect(policy.name).toBe("healthmate-ui-dev-security-headers");
    const headers = policy.security_headers_config as Props;
    expect(headers).toMatchObject({
      strict_transport_security: { access_control_max_age_sec: 63072000, include_subdomains: true, override: true },
      content_type_options: { override: true },
      frame_options: { frame_option: "DENY", override: true },
      referrer_policy: { referrer_policy: "strict-origin-when-cross-origin", override: true },
    });
    const csp = String((headers.content_security_policy as Props).content_security_policy);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/connect-src 'self' https:\/\/\$\{local\.user_pool_domain\}/);
    expect(contentSecurityPolicy()).toContain("connect-src 'self';");
  });

  test("router: a KVS, its four keys, and two cloudfront-js-2.0 functions whose code is the router files", () => {
    const ui = stagedSynth.ui;
    const store = ui.onlyResource("aws_cloudfront_key_value_store");
    expect(store.name).toBe("healthmate-router-dev");
    const storeArn = ui.ref("aws_cloudfront_key_value_store", {}, "arn");
    for (const key of Object.values(ui.resourcesOfType("aws_cloudfrontkeyvaluestore_key"))) expect(key.key_value_store_arn).toBe(storeArn);
    const request = ui.findResources("aws_cloudfront_function", { name: "healthmate-router-request-dev" })[0];
    const response = ui.findResources("aws_cloudfront_function", { name: "healthmate-router-response-dev" })[0];
    expect(request).toMatchObject({ runtime: "cloudfront-js-2.0", publish: true, key_value_store_associations: [storeArn] });
    expect(request?.code).toBe(readFileSync(path.join(DEFAULT_ROUTER_DIRECTORY, "viewer-request.js"), "utf8"));
    expect(response).toMatchObject({ runtime: "cloudfront-js-2.0", publish: true });
    expect(response?.key_value_store_associations).toBeUndefined();
    expect(response?.code).toBe(readFileSync(path.join(DEFAULT_ROUTER_DIRECTORY, "viewer-response.js"), "utf8"));
  });

  test("outputs: site URL, distribution, bucket and KVS", () => {
    const ui = stagedSynth.ui;
    expect(ui.output("SiteUrl").value).toBe(`https://${ui.ref("aws_cloudfront_distribution", {}, "domain_name")}`);
    expect(ui.output("DistributionId").value).toBe(ui.ref("aws_cloudfront_distribution", {}, "id"));
    expect(ui.output("UiBucketName").value).toBe(ui.ref("aws_s3_bucket", {}, "bucket"));
    expect(ui.output("RouterKeyValueStoreArn").value).toBe(ui.ref("aws_cloudfront_key_value_store", {}, "arn"));
  });

  test("local without a secret: no origin header (nothing is deployed behind CloudFront there)", () => {
    const local = synth(undefined, { HEALTHMATE_ENV: "local", HEALTHMATE_ORIGIN_SECRET: "" });
    for (const origin of (local.ui.onlyResource("aws_cloudfront_distribution").origin as Props[]).slice(1)) expect(origin.custom_header).toBeUndefined();
  });
});

describe("constructs on their own", () => {
  const apps: { cleanup(): void }[] = [];
  afterAll(() => apps.forEach((app) => app.cleanup()));
  const newStack = () => {
    const test = testApp();
    apps.push(test);
    const stack = new TerraformStack(test.app, "test");
    const account = new AwsAccount(stack, "account", { region: "us-west-2" });
    return { stack, account };
  };
  const routerFixture = (files: Record<string, string>) => {
    const dir = tempDir("router");
    for (const [name, code] of Object.entries(files)) writeFileSync(path.join(dir, name), code);
    return dir;
  };
  const placeholderRouter = () => routerFixture({ "viewer-request.js": "function handler(event) { return event.request; }", "viewer-response.js": "function handler(event) { return event.response; }" });

  test("the coach hook: a second API service adds its colour origins and its /coach* behaviour", () => {
    const { stack, account } = newStack();
    const bucket = new UiReleaseBucket(stack, "bucket", { environment: Environment.DEV, account });
    const router = new EdgeRouter(stack, "router", { environment: Environment.DEV, stableColour: "blue", canaryWeight: 0, codeDirectory: placeholderRouter() });
    const urls = (service: string) => ({ blue: `https://${service}-blue.lambda-url.us-west-2.on.aws/`, green: `https://${service}-green.lambda-url.us-west-2.on.aws/` });
    new SiteDistribution(stack, "site", {
      environment: Environment.DEV,
      bucket,
      router,
      apis: [
        { service: ApiService.Manager, urls: urls("manager") },
        { service: ApiService.Coach, urls: urls("coach") },
      ],
      originSecret: ORIGIN_SECRET,
    });
    const distribution = Template.fromStack(stack).onlyResource("aws_cloudfront_distribution");
    expect((distribution.origin as Props[]).map((origin) => origin.origin_id)).toEqual(["ui", "manager-blue", "manager-green", "coach-blue", "coach-green"]);
    expect((distribution.ordered_cache_behavior as Props[]).map((behaviour) => [behaviour.path_pattern, behaviour.target_origin_id])).toEqual([
      ["/mcp*", "manager-blue"],
      ["/.well-known/oauth-protected-resource*", "manager-blue"],
      ["/coach*", "coach-blue"],
    ]);
    expect((distribution.origin as Props[])[3]?.domain_name).toBe('${trimsuffix(trimprefix("https://coach-blue.lambda-url.us-west-2.on.aws/", "https://"), "/")}');
  });

  test("validation says what it got", () => {
    const { stack, account } = newStack();
    const fn = new NodeFunction(stack, "fn", { functionName: "healthmate-test-dev", entry: "app/manager/lambda.ts", logRetentionDays: 14, stagingDirectory: path.join(staging, "fixture") });
    const key = new EncryptionKey(stack, "key", { environment: Environment.DEV, account, logicalName: "k", description: "d", allowCloudWatchAlarms: true });
    const notifications = new NotificationTopic(stack, "topic", { name: "t", encryptionKey: key });
    const aliases = { function: fn, service: ApiService.Manager, environment: Environment.DEV, notifications, stableColour: "blue" as const };
    expect(() => new ReleaseAliases(stack, "a", { ...aliases, canaryWeight: 150 })).toThrow("ReleaseAliases: canaryWeight must be an integer 0-100, got 150");
    expect(() => new ReleaseAliases(stack, "b", { ...aliases, canaryWeight: 10.5 })).toThrow("got 10.5");
    const endpoint = { function: fn, auth: FunctionUrlAuth.NONE, functionVersion: "4" };
    expect(() => new FunctionUrlEndpoint(stack, "c", { ...endpoint, aliasName: "c", additionalVersionWeights: { "4": 0.5 } })).toThrow("names the alias's own version 4");
    expect(() => new FunctionUrlEndpoint(stack, "d", { ...endpoint, aliasName: "d", additionalVersionWeights: { "5": 1.5 } })).toThrow("additional version weight must be in (0, 1], got 1.5 for version 5");
    expect(() => new FunctionUrlEndpoint(stack, "e", { ...endpoint, aliasName: "e", additionalVersionWeights: { "5": 0.1, "6": 0.1 } })).toThrow("may name one version, got 5, 6");
    expect(() => new FunctionUrlEndpoint(stack, "f", { ...endpoint, aliasName: "f", additionalVersionWeights: { $LATEST: 0.1 } })).toThrow("must be published version numbers, got '$LATEST'");
    const router = { environment: Environment.DEV, stableColour: "blue" as const, canaryWeight: 0 };
    expect(() => new EdgeRouter(stack, "g", { ...router, canaryWeight: -1 })).toThrow("EdgeRouter: canaryWeight must be an integer 0-100, got -1");
    expect(() => new EdgeRouter(stack, "h", { ...router, codeDirectory: routerFixture({ "viewer-request.js": "x" }) })).toThrow(/EdgeRouter: cannot read the router function .*viewer-response\.js/);
    const big = routerFixture({ "viewer-request.js": "x".repeat(MAX_FUNCTION_CODE_BYTES + 1), "viewer-response.js": "x" });
    expect(() => new EdgeRouter(stack, "i", { ...router, codeDirectory: big })).toThrow(`EdgeRouter: viewer-request.js is ${MAX_FUNCTION_CODE_BYTES + 1} bytes; CloudFront Functions allow at most 10240`);
  });
});

describe("the state file main.ts reads", () => {
  const projectRoot = "/project";
  test("default locations: release/state/<env>.json; local under HEALTHMATE_HOME; an explicit file wins", () => {
    expect(releaseStateFile({ environment: "prod", projectRoot })).toBe("/project/release/state/prod.json");
    expect(releaseStateFile({ environment: "local", projectRoot })).toBe("/project/.healthmate/release/state/local.json");
    expect(releaseStateFile({ environment: "local", projectRoot, home: "/data/hm" })).toBe("/data/hm/release/state/local.json");
    expect(releaseStateFile({ environment: "dev", projectRoot, file: "plans/next.json", remoteState: { bucket: "b", keyPrefix: "p", region: "us-west-2" } })).toBe("/project/plans/next.json");
  });

  test("with a state bucket and no file, synth refuses rather than render an empty state", () => {
    expect(() => releaseStateFile({ environment: "dev", projectRoot, remoteState: { bucket: "acme-state", keyPrefix: "hm", region: "us-west-2" } })).toThrow(
      /s3:\/\/acme-state\/hm\/dev\/release-state\.json .*HEALTHMATE_RELEASE_STATE_FILE/,
    );
  });

  test("a missing file is the initial state; a valid one is returned; a bad or foreign one stops synth naming the file", () => {
    const dir = tempDir("state");
    expect(readReleaseStateFile(path.join(dir, "absent.json"), "dev")).toEqual(initialState("dev"));
    const good = path.join(dir, "dev.json");
    writeFileSync(good, JSON.stringify(canary10));
    expect(readReleaseStateFile(good, "dev")).toEqual(canary10);
    expect(() => readReleaseStateFile(good, "prod")).toThrow(/holds the state of 'dev', not 'prod'/);
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ ...canary10, canaryWeight: 150 }));
    expect(() => readReleaseStateFile(bad, "dev")).toThrow(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not a valid release state \\(canaryWeight`));
    writeFileSync(bad, "{");
    expect(() => readReleaseStateFile(bad, "dev")).toThrow(/is not valid JSON/);
  });
});
