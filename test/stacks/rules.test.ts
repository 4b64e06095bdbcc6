import { Testing } from "cdktf";
import { Environment, loadConfig } from "../../modules/config";
import {
  ALL_RULES,
  AWS_SOLUTIONS_COG1,
  CKV_AWS_119,
  CKV_AWS_158,
  CKV_AWS_258,
  CKV_AWS_28,
  CKV_AWS_338,
  CKV_AWS_355,
  CKV_AWS_50,
  CKV_AWS_63,
  CKV_AWS_66,
  DYNAMODB_6,
  formatFindings,
  runRules,
  type Rule,
  type SynthesizedStack,
} from "../../modules/rules/index";
import { isUnconstrainedResource } from "../../modules/rules/iam";
import { managerRuleSuppressions, ManagerStack } from "../../stacks/manager";
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
    return Testing.synth(new ManagerStack(test.app, "manager", { config: loadConfig({ HEALTHMATE_ENV: environment }) }));
  };

  test.each([Environment.PROD, Environment.STAGE])("%s passes every rule; only the function URL auth is suppressed, with its reason", (environment) => {
    const report = runRules(synth(environment), { suppressions: managerRuleSuppressions(environment) });
    expect(formatFindings(report.findings)).toBe("");
    expect(report.rulesRun).toEqual(ALL_RULES.map((rule) => rule.id));
    expect(report.suppressed.map((finding) => finding.ruleId)).toEqual(["CKV_AWS_258"]);
    expect(report.suppressed[0]?.reason).toMatch(/Cognito access token/);
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
