import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { MANAGER_ENV } from "../app/manager/configKeys";
import { AwsAccount } from "../modules/account";
import { FunctionAlarms, NotificationTopic } from "../modules/alarms";
import { HealthmateAuth } from "../modules/auth";
import { isProtectedEnvironment, physicalName, type Environment, type HealthmateConfig } from "../modules/config";
import { InvokeMode, type FunctionUrlEndpoint } from "../modules/endpoint";
import { StackFoundation } from "../modules/foundation";
import { NodeFunction } from "../modules/function";
import { EncryptionKey } from "../modules/key";
import { LIVE_ALIAS, NOTHING_STAGED, pointersFor, ReleaseAliases } from "../modules/release/aliases";
import { ORIGIN_GUARD_ENV } from "../modules/release/origin-guard";
import { ApiService, type Colour } from "../modules/release/router/contract";
import type { Suppression } from "../modules/rules/index";
import { HealthTables } from "../modules/tables";
import type { ReleaseState } from "../release/state";

export interface ManagerStackProps {
  readonly config: HealthmateConfig;
  /**
   * Lambda entry of the MCP server, relative to the project root.
   * @default "app/manager/lambda.ts"
   */
  readonly entry?: string;
  /**
   * Where the function bundle is staged.
   * @default - `<app outdir>/bundles/<function name>`
   */
  readonly stagingDirectory?: string;
  /**
   * The environment's release state: which published version each colour alias points at, the
   * stable colour and the canary weight (main.ts reads it from the state file).
   * @default - nothing staged: both colours and live on the latest published version
   */
  readonly release?: ReleaseState;
}

/**
 * Rules the manager stack deliberately does not meet, with the reason (test/stacks asserts the
 * stack passes every other rule).
 */
export function managerRuleSuppressions(environment: Environment): Suppression[] {
  const suppressions: Suppression[] = [
    {
      ruleId: "CKV_AWS_258",
      reason:
        "The MCP endpoint authenticates every request with a Cognito access token (MCP authorization spec); IAM auth would demand SigV4 from MCP clients, and from CloudFront x-amz-content-sha256 on every POST. The blue/green URLs also require CloudFront's origin secret.",
    },
  ];
  if (!isProtectedEnvironment(environment)) {
    suppressions.push(
      { ruleId: "DynamoDB.6", reason: `${environment} data is disposable: tables must be deletable by cdktf destroy.` },
      { ruleId: "CKV_AWS_338", reason: `${environment} logs default to 30 days; stage and prod keep 365.` },
    );
  }
  return suppressions;
}

/** MCP path on the endpoint (app/manager/lambda.ts serves it). */
export const MCP_PATH = "mcp";

/**
 * `manager`: HealthManager — the MCP server over a person's health data. Tables (catalogue),
 * Cognito identity, the Lambda behind an HTTPS function URL, alarms and the outputs other stacks
 * and people use. Wiring only; modules build the resources.
 */
export class ManagerStack extends TerraformStack {
  readonly auth: HealthmateAuth;
  readonly tables: HealthTables;
  readonly server: NodeFunction;
  /** Colour aliases, `live`, their function URLs and the colour alarms. */
  readonly release: ReleaseAliases;
  /** The `live` alias's function URL: direct MCP clients. */
  readonly endpoint: FunctionUrlEndpoint;
  /** `<live function url>mcp`: where MCP clients connect. */
  readonly mcpEndpoint: string;
  /**
   * `<colour function url>mcp` of each colour: a coach of one colour calls the manager of the
   * same colour (with the origin secret). For the coach stack when it exists.
   */
  readonly colourMcpEndpoints: Readonly<Record<Colour, string>>;
  /** Release notifications: the colour alarms publish here; the release commands may too. */
  readonly releaseTopic: NotificationTopic;

  constructor(scope: Construct, id: string, props: ManagerStackProps) {
    super(scope, id);
    const { config } = props;
    const env = config.environment;
    new StackFoundation(this, "foundation", { config });
    const account = new AwsAccount(this, "account", { region: config.region });
    const functionName = physicalName("manager", env);

    const dataKey = new EncryptionKey(this, "data-key", {
      environment: env,
      account,
      logicalName: "manager-data",
      description: `Healthmate ${env}: health data tables, manager logs and alarms`,
      logGroupNamePatterns: [`/aws/lambda/${functionName}`],
      allowCloudWatchAlarms: true,
    });
    this.tables = new HealthTables(this, "tables", { environment: env, encryptionKey: dataKey });
    this.auth = new HealthmateAuth(this, "auth", {
      environment: env,
      account,
      callbackUrls: config.callbackUrls,
      logoutUrls: config.logoutUrls,
      domainSuffix: config.authDomainSuffix,
    });

    this.server = new NodeFunction(this, "server", {
      functionName,
      description: "Healthmate HealthManager MCP server",
      entry: props.entry ?? "app/manager/lambda.ts",
      stagingDirectory: props.stagingDirectory,
      logRetentionDays: config.logRetentionDays,
      logEncryptionKey: dataKey,
      memorySize: 1024,
      timeoutSeconds: 30,
      environment: {
        [MANAGER_ENV.issuer]: this.auth.issuerUrl,
        [MANAGER_ENV.jwksUrl]: this.auth.jwksUrl,
        [MANAGER_ENV.clientIds]: this.auth.clientId,
        [MANAGER_ENV.tables]: JSON.stringify(this.tables.tableNames),
        // The colour URLs answer only to CloudFront's secret header; `live` stays open to MCP clients.
        ...(config.originSecrets ? { [ORIGIN_GUARD_ENV.secrets]: config.originSecrets.join(","), [ORIGIN_GUARD_ENV.openAliases]: LIVE_ALIAS } : {}),
      },
    });
    this.tables.grantItemAccess(this.server);

    this.releaseTopic = new NotificationTopic(this, "release-topic", { name: physicalName("release", env), encryptionKey: dataKey, email: config.releaseEmail });
    // Function URLs with auth NONE on purpose: MCP clients send a Cognito access token (MCP
    // authorization spec), and the server verifies signature, issuer, token_use, client_id, scope
    // and expiry on every request (app/manager/http/handler.ts). AWS_IAM would demand SigV4 from
    // every MCP client (and from CloudFront a payload hash MCP clients do not send).
    this.release = new ReleaseAliases(this, "release", {
      function: this.server,
      service: ApiService.Manager,
      environment: env,
      ...(props.release ? pointersFor(props.release, ApiService.Manager) : NOTHING_STAGED),
      notifications: this.releaseTopic,
      invokeMode: InvokeMode.BUFFERED,
    });
    this.endpoint = this.release.live;
    this.mcpEndpoint = `${this.endpoint.url}${MCP_PATH}`;
    this.colourMcpEndpoints = { blue: `${this.release.urls.blue}${MCP_PATH}`, green: `${this.release.urls.green}${MCP_PATH}` };

    new FunctionAlarms(this, "alarms", { environment: env, function: this.server, encryptionKey: dataKey, email: config.alarmEmail });

    const output = (name: string, value: string | Record<string, string>, description: string) => new TerraformOutput(this, name, { value, description });
    output("UserPoolId", this.auth.userPoolId, "Cognito user pool id (admin-create-user, the UI's configuration)");
    output("UserPoolClientId", this.auth.clientId, "Public app client id of the UI (authorization code + PKCE)");
    output("UserPoolDomain", this.auth.domainName, "Hosted-UI domain: https://<domain>/oauth2/authorize and /oauth2/token");
    output("IssuerUrl", this.auth.issuerUrl, "Token issuer (iss); its JWKS is <IssuerUrl>/.well-known/jwks.json");
    output("McpEndpoint", this.mcpEndpoint, "MCP Streamable HTTP endpoint; send a Cognito access token as Bearer");
    output("ResourceMetadataUrl", `${this.endpoint.url}.well-known/oauth-protected-resource/${MCP_PATH}`, "RFC 9728 protected-resource metadata of the MCP endpoint");
    output("ManagerFunctionName", this.server.functionName, "Lambda function of the MCP server (logs: /aws/lambda/<name>)");
    output("ReleaseTopicArn", this.releaseTopic.arn, "SNS topic of release notifications (colour alarms publish here)");
    output("TableNames", { ...this.tables.tableNames }, "DynamoDB table of each domain");
  }
}
