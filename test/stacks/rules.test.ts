import { App, Testing } from "cdktf";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Environment, loadConfig } from "../../modules/config";
import {
  ALL_RULES,
  AWS_SOLUTIONS_COG1,
  CKV2_AWS_6,
  CKV_AWS_119,
  CKV_AWS_158,
  CKV_AWS_174,
  CKV_AWS_21,
  CKV_AWS_258,
  CKV_AWS_28,
  CKV_AWS_338,
  CKV_AWS_34,
  CKV_AWS_355,
  CKV_AWS_50,
  CKV_AWS_53,
  CKV_AWS_54,
  CKV_AWS_55,
  CKV_AWS_56,
  CKV_AWS_63,
  CKV_AWS_66,
  DYNAMODB_6,
  S3_5,
  formatFindings,
  runRules,
  type Rule,
  type SynthesizedStack,
} from "../../modules/rules/index";
import { isUnconstrainedResource } from "../../modules/rules/iam";
import { defineStacks } from "../../stacks/app";
import { managerRuleSuppressions, ManagerStack } from "../../stacks/manager";
import { uiRuleSuppressions } from "../../stacks/ui";
import { testApp } from "../support/template";

/** A one-resource stack. */
const stackWith = (type: string, properties: Record<string, unknown>): SynthesizedStack => ({ resource: { [type]: { subject: properties } } });

/** A role policy rendered from a policy document data source, as the modules synthesize it. */
const rolePolicyWith = (...statements: Record<string, unknown>[]): SynthesizedStack => ({
  resource: { aws_iam_role_policy: { subject: { policy: "${data.aws_iam_policy_document.doc.json}", role: "${aws_iam_role.r.id}" } } },
  data: { aws_iam_policy_document: { doc: { statement: statements } } },
});

const TABLE = "${aws_dynamodb_table.t.arn}";
const goodTable = {
  name: "healthmate-goals-prod",
  point_in_time_recovery: { enabled: true },
  server_side_encryption: { enabled: true, kms_key_arn: "${aws_kms_key.k.arn}" },
  deletion_protection_enabled: true,
};
/** A bucket with resources attached to it, as UiReleaseBucket synthesizes them. */
const bucketWith = (attached: Record<string, Record<string, unknown>>, data: SynthesizedStack["data"] = {}): SynthesizedStack => ({
  resource: { aws_s3_bucket: { subject: { bucket: "b" } }, ...Object.fromEntries(Object.entries(attached).map(([type, properties]) => [type, { attached: { bucket: "${aws_s3_bucket.subject.id}", ...properties } }])) },
  data,
});
const tlsDeny = { effect: "Deny", actions: ["s3:*"], condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }] };
const fullBlock = { block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true };
const publicAccessCase = (rule: Rule, field: string): Case => ({
  rule,
  compliant: stackWith("aws_s3_bucket_public_access_block", fullBlock),
  nonCompliant: stackWith("aws_s3_bucket_public_access_block", { ...fullBlock, [field]: false }),
  message: new RegExp(`${field} is false; set ${field} = true`),
});
const distribution = (certificate: Record<string, unknown>, behaviourPolicy = "redirect-to-https") => ({
  default_cache_behavior: { viewer_protocol_policy: "redirect-to-https" },
  ordered_cache_behavior: [{ path_pattern: "/mcp*", viewer_protocol_policy: behaviourPolicy }],
  viewer_certificate: certificate,
});
const customCertificate = { acm_certificate_arn: "arn:aws:acm:us-east-1:123456789012:certificate/x", ssl_support_method: "sni-only", minimum_protocol_version: "TLSv1.2_2021" };

const goodPool = { password_policy: { minimum_length: 12, require_uppercase: true, require_lowercase: true, require_numbers: true, require_symbols: true } };

interface Case {
  readonly rule: Rule;
  readonly compliant: SynthesizedStack;
  readonly nonCompliant: SynthesizedStack;
  /** Part of the message for the non-compliant case: names the value and the fix. */
  readonly message: RegExp;
}

const cases: Case[] = [
  { rule: CKV_AWS_28, compliant: stackWith("aws_dynamodb_table", goodTable), nonCompliant: stackWith("aws_dynamodb_table", { ...goodTable, point_in_time_recovery: { enabled: false } }), message: /point_in_time_recovery/ },
  {
    rule: CKV_AWS_119,
    compliant: stackWith("aws_dynamodb_table", goodTable),
    nonCompliant: stackWith("aws_dynamodb_table", { ...goodTable, server_side_encryption: { enabled: true } }),
    message: /kms_key_arn.*customer-managed/,
  },
  { rule: DYNAMODB_6, compliant: stackWith("aws_dynamodb_table", goodTable), nonCompliant: stackWith("aws_dynamodb_table", { ...goodTable, deletion_protection_enabled: false }), message: /deletion_protection_enabled is false; set it to true/ },
  { rule: CKV_AWS_66, compliant: stackWith("aws_cloudwatch_log_group", { retention_in_days: 30 }), nonCompliant: stackWith("aws_cloudwatch_log_group", { name: "/aws/lambda/x" }), message: /retention_in_days is null/ },
  { rule: CKV_AWS_338, compliant: stackWith("aws_cloudwatch_log_group", { retention_in_days: 365 }), nonCompliant: stackWith("aws_cloudwatch_log_group", { retention_in_days: 30 }), message: /retention_in_days is 30; keep logs for 365 days/ },
  { rule: CKV_AWS_158, compliant: stackWith("aws_cloudwatch_log_group", { kms_key_id: "${aws_kms_key.k.arn}" }), nonCompliant: stackWith("aws_cloudwatch_log_group", { retention_in_days: 30 }), message: /kms_key_id is not set/ },
  { rule: CKV_AWS_50, compliant: stackWith("aws_lambda_function", { tracing_config: { mode: "Active" } }), nonCompliant: stackWith("aws_lambda_function", { tracing_config: { mode: "PassThrough" } }), message: /"PassThrough"; set tracing_config/ },
  { rule: CKV_AWS_258, compliant: stackWith("aws_lambda_function_url", { authorization_type: "AWS_IAM" }), nonCompliant: stackWith("aws_lambda_function_url", { authorization_type: "NONE" }), message: /authorization_type is "NONE"/ },
  {
    rule: CKV_AWS_355,
    compliant: rolePolicyWith({ sid: "Items", actions: ["dynamodb:GetItem"], resources: [TABLE, `${TABLE}/index/*`] }, { sid: "XRay", actions: ["xray:PutTraceSegments"], resources: ["*"] }),
    nonCompliant: rolePolicyWith({ sid: "Items", actions: ["dynamodb:GetItem", "dynamodb:Query"], resources: ["*"] }),
    message: /statement Items allows dynamodb:GetItem, dynamodb:Query on \*; name the exact resources/,
  },
  {
    rule: CKV_AWS_63,
    compliant: rolePolicyWith({ actions: ["dynamodb:GetItem", "dynamodb:PutItem"], resources: [TABLE] }),
    nonCompliant: rolePolicyWith({ sid: "Items", actions: ["dynamodb:*"], resources: [TABLE] }),
    message: /statement Items allows wildcard actions dynamodb:\*/,
  },
  {
    rule: AWS_SOLUTIONS_COG1,
    compliant: stackWith("aws_cognito_user_pool", goodPool),
    nonCompliant: stackWith("aws_cognito_user_pool", { password_policy: { ...goodPool.password_policy, minimum_length: 8, require_symbols: false } }),
    message: /minimum_length is 8 \(at least 12\), require_symbols is not true/,
  },
  publicAccessCase(CKV_AWS_53, "block_public_acls"),
  publicAccessCase(CKV_AWS_54, "block_public_policy"),
  publicAccessCase(CKV_AWS_55, "ignore_public_acls"),
  publicAccessCase(CKV_AWS_56, "restrict_public_buckets"),
  { rule: CKV2_AWS_6, compliant: bucketWith({ aws_s3_bucket_public_access_block: fullBlock }), nonCompliant: bucketWith({}), message: /no aws_s3_bucket_public_access_block refers to this bucket/ },
  {
    rule: CKV_AWS_21,
    compliant: bucketWith({ aws_s3_bucket_versioning: { versioning_configuration: { status: "Enabled" } } }),
    nonCompliant: bucketWith({ aws_s3_bucket_versioning: { versioning_configuration: { status: "Suspended" } } }),
    message: /versioning is "Suspended"; add aws_s3_bucket_versioning with status "Enabled"/,
  },
  {
    rule: S3_5,
    compliant: bucketWith({ aws_s3_bucket_policy: { policy: "${data.aws_iam_policy_document.doc.json}" } }, { aws_iam_policy_document: { doc: { statement: [tlsDeny] } } }),
    nonCompliant: bucketWith({ aws_s3_bucket_policy: { policy: "${data.aws_iam_policy_document.doc.json}" } }, { aws_iam_policy_document: { doc: { statement: [{ ...tlsDeny, effect: "Allow" }] } } }),
    message: /does not deny requests with aws:SecureTransport = false/,
  },
  { rule: CKV_AWS_174, compliant: stackWith("aws_cloudfront_distribution", distribution(customCertificate)), nonCompliant: stackWith("aws_cloudfront_distribution", distribution({ ...customCertificate, minimum_protocol_version: "TLSv1" })), message: /minimum_protocol_version is "TLSv1"; set TLSv1.2_2021/ },
  { rule: CKV_AWS_34, compliant: stackWith("aws_cloudfront_distribution", distribution(customCertificate)), nonCompliant: stackWith("aws_cloudfront_distribution", distribution(customCertificate, "allow-all")), message: /plain HTTP on \/mcp\*; set redirect-to-https/ },
];

describe.each(cases)("$rule.id", ({ rule, compliant, nonCompliant, message }) => {
  test("passes a compliant resource", () => {
    expect(rule.check(compliant)).toEqual([]);
  });
  test("reports a non-compliant resource with its address and the fix", () => {
    const findings = rule.check(nonCompliant);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.ruleId).toBe(rule.id);
    expect(findings[0]?.address).toMatch(/\.subject$/);
    expect(findings[0]?.message).toMatch(message);
  });
});

describe("rule details", () => {
  test("every rule has a test case above", () => {
    expect(cases.map((testCase) => testCase.rule.id).sort()).toEqual(ALL_RULES.map((rule) => rule.id).sort());
  });

  test.each([
    ["*", true],
    ["arn:aws:dynamodb:us-west-2:123456789012:table/*", true],
    ["arn:aws:dynamodb:*:*:*", true],
    ["arn:aws:dynamodb:us-west-2:123456789012:table/healthmate-goals-prod", false],
    ["${aws_dynamodb_table.t.arn}/index/*", false],
  ])("isUnconstrainedResource(%s) is %s", (resource, expected) => {
    expect(isUnconstrainedResource(resource)).toBe(expected);
  });

  test("IAM rules read literal JSON policies and NotAction too", () => {
    const stack: SynthesizedStack = {
      resource: {
        aws_iam_policy: {
          broad: { policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "All", Effect: "Allow", NotAction: ["iam:*"], Resource: "*" }] }) },
        },
      },
    };
    expect(formatFindings(CKV_AWS_63.check(stack))).toMatch(/aws_iam_policy\.broad: statement All allows everything except iam:\*/);
  });

  test("CKV_AWS_174: the default certificate is a finding whatever minimum_protocol_version says", () => {
    const findings = CKV_AWS_174.check(stackWith("aws_cloudfront_distribution", distribution({ cloudfront_default_certificate: true, minimum_protocol_version: "TLSv1.2_2021" })));
    expect(findings.map((finding) => finding.message)).toEqual([expect.stringContaining("default *.cloudfront.net certificate, for which CloudFront allows TLSv1")]);
  });

  test("S3 rules: no bucket policy, a JSON policy, inline versioning", () => {
    expect(S3_5.check(bucketWith({}))[0]?.message).toMatch(/no bucket policy refers to this bucket/);
    const json = JSON.stringify({ Statement: [{ Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }] });
    expect(S3_5.check(bucketWith({ aws_s3_bucket_policy: { policy: json } }))).toEqual([]);
    expect(CKV_AWS_21.check({ resource: { aws_s3_bucket: { subject: { versioning: { enabled: true } } } } })).toEqual([]);
  });

  test("Deny statements are not findings", () => {
    expect(CKV_AWS_355.check(rolePolicyWith({ effect: "Deny", actions: ["dynamodb:DeleteTable"], resources: ["*"] }))).toEqual([]);
  });

  test("a suppression needs a known rule and a reason", () => {
    expect(() => runRules({}, { suppressions: [{ ruleId: "CKV_AWS_999", reason: "because it is fine" }] })).toThrow(/unknown rule 'CKV_AWS_999'/);
    expect(() => runRules({}, { suppressions: [{ ruleId: "CKV_AWS_28", reason: "" }] })).toThrow(/needs a reason/);
  });
});

describe("the manager stack", () => {
  const apps: { cleanup(): void }[] = [];
  afterAll(() => apps.forEach((app) => app.cleanup()));
  const synth = (environment: Environment): string => {
    const test = testApp();
    apps.push(test);
    return Testing.synth(new ManagerStack(test.app, "manager", { config: loadConfig({ HEALTHMATE_ENV: environment, HEALTHMATE_ORIGIN_SECRET: "test-origin-secret-0123456789abcdef0123456789" }) }));
  };

  test.each([Environment.PROD, Environment.STAGE])("%s passes every rule; only the function URLs' auth (live, blue, green) is suppressed, with its reason", (environment) => {
    const report = runRules(synth(environment), { suppressions: managerRuleSuppressions(environment) });
    expect(formatFindings(report.findings)).toBe("");
    expect(report.rulesRun).toEqual(ALL_RULES.map((rule) => rule.id));
    expect(report.suppressed.map((finding) => finding.ruleId)).toEqual(["CKV_AWS_258", "CKV_AWS_258", "CKV_AWS_258"]);
    expect(report.suppressed[0]?.reason).toMatch(/Cognito access token.*origin secret/);
  });

  test("dev passes with table deletion protection and one-year logs suppressed as disposable", () => {
    const report = runRules(synth(Environment.DEV), { suppressions: managerRuleSuppressions(Environment.DEV) });
    expect(formatFindings(report.findings)).toBe("");
    expect([...new Set(report.suppressed.map((finding) => finding.ruleId))].sort()).toEqual(["CKV_AWS_258", "CKV_AWS_338", "DynamoDB.6"]);
    expect(report.suppressed.filter((finding) => finding.ruleId === "DynamoDB.6")).toHaveLength(8);
  });

  test("without suppressions the runner reports what they hide", () => {
    const report = runRules(synth(Environment.DEV));
    expect(report.findings.map((finding) => finding.ruleId)).toEqual(expect.arrayContaining(["CKV_AWS_258", "CKV_AWS_338", "DynamoDB.6"]));
  });
});

describe("the ui stack", () => {
  const outdirs: string[] = [];
  afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  /** The ui stack as main.ts synthesizes it (it reads the manager's URLs across stacks). */
  const synthUi = (env: Record<string, string>) => {
    const outdir = mkdtempSync(path.join(tmpdir(), "healthmate-rules-"));
    outdirs.push(outdir);
    const config = loadConfig({ HEALTHMATE_ORIGIN_SECRET: "test-origin-secret-0123456789abcdef0123456789", ...env });
    const app = new App({ outdir });
    defineStacks(app, config);
    app.synth();
    return { config, text: readFileSync(path.join(outdir, "stacks", "ui", "cdk.tf.json"), "utf8") };
  };

  test("prod on the default certificate passes every rule; only viewer TLS 1.2 is suppressed, with its reason", () => {
    const { config, text } = synthUi({ HEALTHMATE_ENV: "prod" });
    const report = runRules(text, { suppressions: uiRuleSuppressions(config) });
    expect(formatFindings(report.findings)).toBe("");
    expect(report.suppressed.map((finding) => finding.ruleId)).toEqual(["CKV_AWS_174"]);
    expect(report.suppressed[0]?.reason).toMatch(/HEALTHMATE_UI_DOMAINS/);
  });

  test("with a custom domain and certificate it passes every rule with no suppression", () => {
    const { config, text } = synthUi({
      HEALTHMATE_ENV: "prod",
      HEALTHMATE_UI_DOMAINS: "app.example.com",
      HEALTHMATE_UI_CERTIFICATE_ARN: "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    });
    expect(uiRuleSuppressions(config)).toEqual([]);
    const report = runRules(text);
    expect(formatFindings(report.findings)).toBe("");
  });
});
