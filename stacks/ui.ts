import { TerraformLocal, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { IUserPoolIdentity } from "../modules/auth";
import type { HealthmateConfig } from "../modules/config";
import { StackFoundation } from "../modules/foundation";

export interface UiStackProps {
  readonly config: HealthmateConfig;
  /** Identity of the manager stack: the UI signs users in through its hosted UI and app client. */
  readonly auth: IUserPoolIdentity;
  /** The manager's MCP endpoint URL: a CloudFront origin in a later issue. */
  readonly managerMcpEndpoint: string;
}

/**
 * `ui`: HealthmateUI — the React app, CloudFront and the release router (a later issue). For now
 * it holds its provider and the typed inputs it will use, referenced as locals so cdktf wires
 * the cross-stack outputs and remote state.
 */
export class UiStack extends TerraformStack {
  readonly inputs: {
    readonly managerMcpEndpoint: string;
    readonly userPoolId: string;
    readonly userPoolClientId: string;
    readonly userPoolDomain: string;
    readonly issuerUrl: string;
  };

  constructor(scope: Construct, id: string, props: UiStackProps) {
    super(scope, id);
    new StackFoundation(this, "foundation", { config: props.config });
    const local = (name: string, value: string) => new TerraformLocal(this, name, value).asString;
    this.inputs = {
      managerMcpEndpoint: local("manager_mcp_endpoint", props.managerMcpEndpoint),
      userPoolId: local("user_pool_id", props.auth.userPoolId),
      userPoolClientId: local("user_pool_client_id", props.auth.clientId),
      userPoolDomain: local("user_pool_domain", props.auth.domainName),
      issuerUrl: local("issuer_url", props.auth.issuerUrl),
    };
  }
}
