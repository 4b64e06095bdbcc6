import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CognitoUserPool } from "@cdktf/provider-aws/lib/cognito-user-pool";
import { CognitoUserPoolClient } from "@cdktf/provider-aws/lib/cognito-user-pool-client";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url";
import { Testing } from "cdktf";
import "cdktf/lib/testing/adapters/jest";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { ALL_SCOPES } from "../../app/common/auth/scopes";
import { TABLE_KEYS, Tables, tableNamesFor } from "../../app/manager/store/catalogue";
import { Environment, loadConfig } from "../../modules/config";
import { ITEM_ACTIONS } from "../../modules/tables";
import { ManagerStack } from "../../stacks/manager";
import { Template, testApp, type Props } from "../support/template";

Testing.setupJest();

/** Configuration outside `local` needs the origin secret CloudFront sends to the colour URLs. */
const ORIGIN_SECRET = "test-origin-secret-0123456789abcdef0123456789";

const apps: { cleanup(): void }[] = [];
function synthManager(env: Record<string, string> = {}): { synth: string; template: Template; stack: ManagerStack } {
  const test = testApp();
  apps.push(test);
  const stack = new ManagerStack(test.app, "manager", { config: loadConfig({ HEALTHMATE_ORIGIN_SECRET: ORIGIN_SECRET, ...env }) });
  const synth = Testing.synth(stack);
  return { synth, template: Template.fromJson(synth), stack };
}

let dev: ReturnType<typeof synthManager>;
let prod: ReturnType<typeof synthManager>;
beforeAll(() => {
  dev = synthManager({ HEALTHMATE_ENV: "dev" });
  prod = synthManager({
    HEALTHMATE_ENV: "prod",
    HEALTHMATE_CALLBACK_URLS: "https://app.example.com/callback",
    HEALTHMATE_LOGOUT_URLS: "https://app.example.com/",
    HEALTHMATE_AUTH_DOMAIN_SUFFIX: "example",
    HEALTHMATE_ALARM_EMAIL: "ops@example.com",
  });
});
afterAll(() => apps.forEach((app) => app.cleanup()));

const tableProps = (template: Template) => Object.values(template.resourcesOfType("aws_dynamodb_table"));

describe("tables", () => {
  test("one table per catalogue entry, named healthmate-<logical>-<env>", () => {
    expect(tableProps(dev.template).map((table) => table.name).sort()).toEqual(Object.values(tableNamesFor("dev")).sort());
    expect(tableProps(prod.template).map((table) => table.name).sort()).toEqual(Object.values(tableNamesFor("prod")).sort());
  });

  test("on demand, point-in-time recovery and SSE with the customer-managed key (rotation on)", () => {
    const keyRef = dev.template.ref("aws_kms_key", {}, "arn");
    for (const table of tableProps(dev.template)) {
      expect(table).toMatchObject({
        billing_mode: "PAY_PER_REQUEST",
        hash_key: "userId",
        point_in_time_recovery: { enabled: true, recovery_period_in_days: 35 },
        server_side_encryption: { enabled: true, kms_key_arn: keyRef },
      });
    }
    expect(dev.template.onlyResource("aws_kms_key")).toMatchObject({ enable_key_rotation: true, rotation_period_in_days: 365, deletion_window_in_days: 30 });
  });

  test("deletion protection outside local/dev only", () => {
    expect(tableProps(dev.template).every((table) => table.deletion_protection_enabled === false)).toBe(true);
    expect(tableProps(prod.template).every((table) => table.deletion_protection_enabled === true)).toBe(true);
    const local = synthManager({ HEALTHMATE_ENV: "local" });
    const stage = synthManager({ HEALTHMATE_ENV: "stage" });
    expect(tableProps(local.template).every((table) => table.deletion_protection_enabled === false)).toBe(true);
    expect(tableProps(stage.template).every((table) => table.deletion_protection_enabled === true)).toBe(true);
  });

  test.each(TABLE_KEYS)("%s has the catalogue's keys, attributes and local indexes", (key) => {
    const definition = Tables[key];
    const [table] = prod.template.findResources("aws_dynamodb_table", { name: tableNamesFor("prod")[key] });
    const indexes: readonly { name: string; sortKey: { name: string; type: string } }[] = "localIndexes" in definition ? definition.localIndexes : [];
    expect(table?.range_key).toBe("sortKey" in definition ? definition.sortKey.name : undefined);
    expect(table?.local_secondary_index).toEqual(indexes.length ? indexes.map((index) => ({ name: index.name, range_key: index.sortKey.name, projection_type: "ALL" })) : undefined);
    const expectedAttributes = [definition.partitionKey, ...("sortKey" in definition ? [definition.sortKey] : []), ...indexes.map((index) => index.sortKey)];
    expect(table?.attribute).toEqual(expectedAttributes.map((attribute) => ({ name: attribute.name, type: attribute.type })));
    expect(table?.ttl).toBeUndefined(); // no catalogue table defines a TTL attribute today
  });
});

describe("Cognito", () => {
  test("user pool: strong passwords, optional TOTP, verified e-mail, deletion protection by env", () => {
    expect(prod.synth).toHaveResourceWithProperties(CognitoUserPool, {
      name: "healthmate-prod",
      password_policy: { minimum_length: 12, require_lowercase: true, require_uppercase: true, require_numbers: true, require_symbols: true, temporary_password_validity_days: 3 },
      mfa_configuration: "OPTIONAL",
      software_token_mfa_configuration: { enabled: true },
      auto_verified_attributes: ["email"],
      username_attributes: ["email"],
      verification_message_template: { default_email_option: "CONFIRM_WITH_CODE" },
      admin_create_user_config: { allow_admin_create_user_only: true },
      deletion_protection: "ACTIVE",
    });
    expect(dev.template.onlyResource("aws_cognito_user_pool").deletion_protection).toBe("INACTIVE");
  });

  test("resource server 'healthmate' with the scopes every verifier checks", () => {
    const server = prod.template.onlyResource("aws_cognito_resource_server");
    expect(server.identifier).toBe("healthmate");
    expect((server.scope as Props[]).map((scope) => `healthmate/${String(scope.scope_name)}`)).toEqual([...ALL_SCOPES]);
  });

  test("public UI client: code flow, no secret, hidden user existence, URLs from configuration", () => {
    expect(prod.synth).toHaveResourceWithProperties(CognitoUserPoolClient, {
      generate_secret: false,
      allowed_oauth_flows: ["code"],
      allowed_oauth_flows_user_pool_client: true,
      allowed_oauth_scopes: ["openid", "email", "profile", ...ALL_SCOPES],
      callback_urls: ["https://app.example.com/callback"],
      logout_urls: ["https://app.example.com/"],
      prevent_user_existence_errors: "ENABLED",
      enable_token_revocation: true,
      access_token_validity: 60,
      refresh_token_validity: 30,
      token_validity_units: [{ access_token: "minutes", id_token: "minutes", refresh_token: "days" }],
    });
    expect(dev.template.onlyResource("aws_cognito_user_pool_client")).toMatchObject({ callback_urls: ["http://localhost:5173/callback"] });
  });

  test("hosted-UI domain healthmate-<env>-<suffix>: configured suffix, else the account id", () => {
    expect(prod.template.onlyResource("aws_cognito_user_pool_domain").domain).toBe("healthmate-prod-example");
    const caller = Object.keys(dev.template.dataOfType("aws_caller_identity"))[0];
    expect(dev.template.onlyResource("aws_cognito_user_pool_domain").domain).toBe(`healthmate-dev-\${data.aws_caller_identity.${caller}.account_id}`);
  });
});

describe("manager Lambda", () => {
  test("nodejs22.x on arm64, published versions, X-Ray, the esbuild bundle as a deterministic zip", () => {
    expect(prod.synth).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "healthmate-manager-prod",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      publish: true,
      tracing_config: { mode: "Active" },
      memory_size: 1024,
      timeout: 30,
    });
    const fn = prod.template.onlyResource("aws_lambda_function");
    expect(fn.filename).toMatch(/^assets\/server_code_[0-9A-F]+\/[0-9A-F]{32}\/package\.zip$/);
    const zip = readFileSync(prod.stack.server.bundle.zipFile);
    expect(fn.source_code_hash).toBe(createHash("sha256").update(zip).digest("base64"));
    expect(prod.stack.server.bundle.zipBytes).toBeLessThanOrEqual(250 * 1024);
  });

  test("environment: the manager's configuration contract, wired to the pool, client and tables", () => {
    const { variables } = prod.template.onlyResource("aws_lambda_function").environment as { variables: Record<string, string> };
    const pool = prod.template.resourceName("aws_cognito_user_pool");
    expect(variables.HEALTHMATE_ISSUER).toBe(`https://\${aws_cognito_user_pool.${pool}.endpoint}`);
    expect(variables.HEALTHMATE_JWKS_URL).toBe(`https://\${aws_cognito_user_pool.${pool}.endpoint}/.well-known/jwks.json`);
    expect(variables.HEALTHMATE_CLIENT_IDS).toBe(prod.template.ref("aws_cognito_user_pool_client", {}, "id"));
    const tables = JSON.parse(variables.HEALTHMATE_TABLES as string) as Record<string, string>;
    expect(Object.keys(tables).sort()).toEqual([...TABLE_KEYS].sort());
    for (const key of TABLE_KEYS) {
      expect(tables[key]).toBe(prod.template.ref("aws_dynamodb_table", { name: tableNamesFor("prod")[key] }, "name"));
    }
    // The colour URLs require CloudFront's origin secret; `live` stays open to MCP clients.
    expect(variables.HEALTHMATE_ORIGIN_SECRET).toBe(ORIGIN_SECRET);
    expect(variables.HEALTHMATE_ORIGIN_OPEN_ALIASES).toBe("live");
    // `local` may go without a secret (blank counts as unset): then nothing is checked.
    const local = synthManager({ HEALTHMATE_ENV: "local", HEALTHMATE_ORIGIN_SECRET: "" });
    expect(local.template.onlyResource("aws_lambda_function").environment).not.toHaveProperty("variables.HEALTHMATE_ORIGIN_SECRET");
  });

  test("log group /aws/lambda/<name>: retention from configuration, encrypted with the key", () => {
    expect(prod.synth).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/lambda/healthmate-manager-prod",
      retention_in_days: 365,
      kms_key_id: prod.template.ref("aws_kms_key", {}, "arn"),
    });
    expect(dev.template.onlyResource("aws_cloudwatch_log_group").retention_in_days).toBe(30);
    const custom = synthManager({ HEALTHMATE_ENV: "dev", HEALTHMATE_LOG_RETENTION_DAYS: "90" });
    expect(custom.template.onlyResource("aws_cloudwatch_log_group").retention_in_days).toBe(90);
    expect(prod.template.onlyResource("aws_lambda_function").logging_config).toEqual({ log_format: "Text", log_group: prod.template.ref("aws_cloudwatch_log_group", {}, "name") });
  });

  test("the key admits CloudWatch Logs for this log group only", () => {
    const policy = Object.values(prod.template.dataOfType("aws_iam_policy_document")).find((doc) => (doc.statement as Props[]).some((statement) => statement.sid === "CloudWatchLogsEncryption"));
    const statement = (policy?.statement as Props[]).find((candidate) => candidate.sid === "CloudWatchLogsEncryption");
    expect((statement?.condition as Props[])[0]).toMatchObject({ test: "ArnLike", variable: "kms:EncryptionContext:aws:logs:arn" });
    expect(((statement?.condition as Props[])[0]?.values as string[])[0]).toMatch(/:log-group:\/aws\/lambda\/healthmate-manager-prod$/);
  });
});

describe("manager role", () => {
  const roleStatements = (template: Template): Props[] => {
    const policy = template.onlyResource("aws_iam_role_policy").policy as string;
    const documentName = /data\.aws_iam_policy_document\.([^.]+)\.json/.exec(policy)?.[1] as string;
    return template.dataOfType("aws_iam_policy_document")[documentName]?.statement as Props[];
  };

  test("item actions on exactly its tables and their indexes; the key via DynamoDB only", () => {
    const statements = roleStatements(prod.template);
    const items = statements.find((statement) => statement.sid === "TableItemAccess");
    expect(items?.actions).toEqual([...ITEM_ACTIONS]);
    const expected = TABLE_KEYS.flatMap((key) => {
      const arn = prod.template.ref("aws_dynamodb_table", { name: tableNamesFor("prod")[key] }, "arn");
      return "localIndexes" in Tables[key] ? [arn, `${arn}/index/*`] : [arn];
    });
    expect(items?.resources).toEqual(expected);
    const key = statements.find((statement) => statement.sid === "KeyUseViaDynamodb");
    expect(key).toMatchObject({ actions: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], resources: [prod.template.ref("aws_kms_key", {}, "arn")] });
    expect((key?.condition as Props[])[0]).toMatchObject({ test: "StringEquals", variable: "kms:ViaService" });
  });

  test("nothing else: own log streams, X-Ray write, and no '*' action anywhere", () => {
    const statements = roleStatements(prod.template);
    expect(statements.map((statement) => statement.sid)).toEqual(["OwnLogs", "XRayWrite", "TableItemAccess", "KeyUseViaDynamodb"]);
    expect(statements.find((statement) => statement.sid === "OwnLogs")?.resources).toEqual([`${prod.template.ref("aws_cloudwatch_log_group", {}, "arn")}:*`]);
    for (const statement of statements) {
      expect((statement.actions as string[]).some((action) => action.includes("*"))).toBe(false);
      if (statement.sid !== "XRayWrite") expect(statement.resources).not.toContain("*");
    }
    expect(prod.template.resourceCount("aws_iam_role_policy_attachment")).toBe(0);
  });
});

describe("HTTPS endpoints", () => {
  test("aliases live, blue and green on the published version (nothing staged); a BUFFERED function URL with auth NONE on each", () => {
    const fn = prod.template.resourceName("aws_lambda_function");
    const aliases = Object.values(prod.template.resourcesOfType("aws_lambda_alias"));
    expect(aliases.map((alias) => alias.name).sort()).toEqual(["blue", "green", "live"]);
    for (const alias of aliases) {
      expect(alias).toMatchObject({ function_version: `\${aws_lambda_function.${fn}.version}`, function_name: `\${aws_lambda_function.${fn}.function_name}` });
      expect(alias.routing_config).toBeUndefined();
    }
    for (const name of ["live", "blue", "green"]) {
      expect(prod.synth).toHaveResourceWithProperties(LambdaFunctionUrl, {
        authorization_type: "NONE",
        invoke_mode: "BUFFERED",
        qualifier: prod.template.ref("aws_lambda_alias", { name }, "name"),
      });
    }
  });

  test("public invoke is limited to function-URL invocations of each alias", () => {
    const permissions = prod.template.findResources("aws_lambda_permission", { action: "lambda:InvokeFunction", principal: "*", invoked_via_function_url: true });
    expect(permissions.map((permission) => permission.qualifier).sort()).toEqual(["blue", "green", "live"].map((name) => prod.template.ref("aws_lambda_alias", { name }, "name")).sort());
    expect(prod.template.resourceCount("aws_lambda_permission")).toBe(3);
    expect(prod.template.json.terraform?.required_providers).toEqual({ aws: { source: "aws", version: ">= 6.29.0, < 7.0.0" } });
  });
});

describe("alarms", () => {
  test("function errors and throttles alarms publish to an encrypted topic; the configured address subscribes", () => {
    const topic = prod.template.findResources("aws_sns_topic", { name: "healthmate-alarms-prod" });
    expect(topic).toEqual([expect.objectContaining({ kms_master_key_id: prod.template.ref("aws_kms_key", {}, "arn") })]);
    const topicArn = prod.template.ref("aws_sns_topic", { name: "healthmate-alarms-prod" }, "arn");
    expect(prod.template.findResources("aws_sns_topic_subscription", { topic_arn: topicArn })).toEqual([expect.objectContaining({ protocol: "email", endpoint: "ops@example.com" })]);
    expect(dev.template.resourceCount("aws_sns_topic_subscription")).toBe(0);
    // The whole function (no alias dimension); the colour aliases' alarms are in test/stacks/release.test.ts.
    const functionName = prod.template.ref("aws_lambda_function", {}, "function_name");
    const alarms = prod.template.findResources("aws_cloudwatch_metric_alarm").filter((alarm) => !("Resource" in (alarm.dimensions as Props)));
    expect(alarms.map((alarm) => alarm.alarm_name).sort()).toEqual([`${functionName}-errors`, `${functionName}-throttles`]);
    for (const alarm of alarms) expect(alarm.alarm_actions).toEqual([topicArn]);
  });
});

describe("outputs", () => {
  test("identity, endpoint and table names for people and the other stacks", () => {
    const template = prod.template;
    const url = template.ref("aws_lambda_function_url", { qualifier: template.ref("aws_lambda_alias", { name: "live" }, "name") }, "function_url");
    expect(template.output("UserPoolId").value).toBe(template.ref("aws_cognito_user_pool", {}, "id"));
    expect(template.output("UserPoolClientId").value).toBe(template.ref("aws_cognito_user_pool_client", {}, "id"));
    expect(template.output("UserPoolDomain").value).toBe(`${template.ref("aws_cognito_user_pool_domain", {}, "domain")}.auth.us-west-2.amazoncognito.com`);
    expect(template.output("IssuerUrl").value).toBe(`https://${template.ref("aws_cognito_user_pool", {}, "endpoint")}`);
    expect(template.output("McpEndpoint").value).toBe(`${url}mcp`);
    expect(template.output("ResourceMetadataUrl").value).toBe(`${url}.well-known/oauth-protected-resource/mcp`);
    expect(Object.keys(template.output("TableNames").value as Props).sort()).toEqual([...TABLE_KEYS].sort());
    expect(template.output("ReleaseTopicArn").value).toBe(template.ref("aws_sns_topic", { name: "healthmate-release-prod" }, "arn"));
  });

  test("the environment suffix is on every name", () => {
    for (const env of [Environment.DEV, Environment.PROD]) {
      const template = env === Environment.DEV ? dev.template : prod.template;
      expect(template.onlyResource("aws_iam_role").name).toBe(`healthmate-manager-${env}`);
      expect(template.onlyResource("aws_kms_alias").name).toBe(`alias/healthmate-manager-data-${env}`);
      expect(template.onlyResource("aws_cognito_user_pool_client").name).toBe(`healthmate-ui-${env}`);
    }
  });
});
