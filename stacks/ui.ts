import { TerraformLocal, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { AwsAccount } from "../modules/account";
import type { IUserPoolIdentity } from "../modules/auth";
import type { HealthmateConfig } from "../modules/config";
import { StackFoundation } from "../modules/foundation";
import type { IColourEndpoints } from "../modules/release/aliases";
import { EdgeRouter } from "../modules/release/edge-router";
import type { Suppression } from "../modules/rules/index";
import { contentSecurityPolicy, SiteDistribution, UiReleaseBucket } from "../modules/site";
import type { ReleaseState } from "../release/state";

export interface UiStackProps {
  readonly config: HealthmateConfig;
  /** Identity of the manager stack: the UI signs users in through its hosted UI and app client. */
  readonly auth: IUserPoolIdentity;
  /** The manager's `live` MCP endpoint URL (direct clients; the UI calls `/mcp` on the edge). */
  readonly managerMcpEndpoint: string;
  /** The manager's colour function URLs: the edge's `manager-blue` / `manager-green` origins. */
  readonly managerOrigins: IColourEndpoints;
  /**
   * The coach's colour function URLs, once the coach stack has a function: adds the
   * `coach-blue` / `coach-green` origins and the `/coach*` behaviour.
   * @default - no coach behind the edge yet
   */
  readonly coachOrigins?: IColourEndpoints;
  /**
   * The release state: the KeyValueStore keys the router reads (weight, stable colour, UI builds).
   * @default - nothing staged: blue stable, weight 0, no UI build
   */
  readonly release?: ReleaseState;
  /**
   * Folder of the router function files.
   * @default - modules/release/router
   */
  readonly routerCodeDirectory?: string;
}

/**
 * Rules the ui stack deliberately does not meet, with the reason (test/stacks asserts it passes
 * every other rule).
 */
export function uiRuleSuppressions(config: HealthmateConfig): Suppression[] {
  if (config.uiDomain) return [];
  return [
    {
      ruleId: "CKV_AWS_174",
      reason:
        "No custom domain configured: the *.cloudfront.net default certificate is used, for which CloudFront applies its TLSv1 policy whatever minimum_protocol_version says. Set HEALTHMATE_UI_DOMAINS and HEALTHMATE_UI_CERTIFICATE_ARN to enforce TLSv1.2_2021.",
    },
  ];
}

/**
 * `ui`: HealthmateUI — the private bucket of UI builds, the environment's CloudFront distribution
 * and the edge router (KeyValueStore + viewer functions) in front of the UI and the API colours.
 * The bucket policy naming the distribution lives here too, so no stack depends on `ui`.
 */
export class UiStack extends TerraformStack {
  readonly inputs: {
    readonly managerMcpEndpoint: string;
    readonly userPoolId: string;
    readonly userPoolClientId: string;
    readonly userPoolDomain: string;
    readonly issuerUrl: string;
  };
  readonly bucket: UiReleaseBucket;
  readonly router: EdgeRouter;
  readonly site: SiteDistribution;

  constructor(scope: Construct, id: string, props: UiStackProps) {
    super(scope, id);
    const { config } = props;
    new StackFoundation(this, "foundation", { config });
    const account = new AwsAccount(this, "account", { region: config.region });
    const local = (name: string, value: string) => new TerraformLocal(this, name, value).asString;
    this.inputs = {
      managerMcpEndpoint: local("manager_mcp_endpoint", props.managerMcpEndpoint),
      userPoolId: local("user_pool_id", props.auth.userPoolId),
      userPoolClientId: local("user_pool_client_id", props.auth.clientId),
      userPoolDomain: local("user_pool_domain", props.auth.domainName),
      issuerUrl: local("issuer_url", props.auth.issuerUrl),
    };

    this.bucket = new UiReleaseBucket(this, "releases", { environment: config.environment, account });
    this.router = new EdgeRouter(this, "router", {
      environment: config.environment,
      stableColour: props.release?.stableColour ?? "blue",
      canaryWeight: props.release?.canaryWeight ?? 0,
      uiVersions: props.release?.services.ui,
      codeDirectory: props.routerCodeDirectory,
    });
    this.site = new SiteDistribution(this, "site", {
      environment: config.environment,
      bucket: this.bucket,
      router: this.router,
      apis: [props.managerOrigins, ...(props.coachOrigins ? [props.coachOrigins] : [])],
      originSecret: config.originSecrets?.[0],
      // The app exchanges its authorization code at the hosted UI's token endpoint.
      contentSecurityPolicy: contentSecurityPolicy({ connectSources: [`https://${this.inputs.userPoolDomain}`] }),
      domain: config.uiDomain,
    });

    const output = (name: string, value: string, description: string) => new TerraformOutput(this, name, { value, description });
    output("SiteUrl", this.site.url, "The UI and the API edge (the UI calls /mcp here)");
    output("DistributionId", this.site.distribution.id, "CloudFront distribution (invalidations are never needed: builds are immutable folders)");
    output("UiBucketName", this.bucket.name, "Upload a UI build to s3://<bucket>/releases/<version>/ before staging it");
    output("RouterKeyValueStoreArn", this.router.store.arn, "KeyValueStore the router reads; its keys follow the release state only");
  }
}
