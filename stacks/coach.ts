import { TerraformLocal, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { IUserPoolIdentity } from "../modules/auth";
import type { HealthmateConfig } from "../modules/config";
import { StackFoundation } from "../modules/foundation";

export interface CoachStackProps {
  readonly config: HealthmateConfig;
  /** Identity of the manager stack: the coach verifies the same users' access tokens. */
  readonly auth: IUserPoolIdentity;
  /** The manager's MCP endpoint URL (ManagerStack.mcpEndpoint), called with the user's token. */
  readonly managerMcpEndpoint: string;
}

/**
 * `coach`: HealthCoach — the agent (a later issue adds its Lambda and Bedrock access). For now it
 * holds its provider and the inputs it will use; referencing them makes cdktf write the
 * manager's outputs and this stack's remote-state lookup, so the dependency is real and typed.
 */
export class CoachStack extends TerraformStack {
  /** The inputs as Terraform locals of this stack (`local.manager_mcp_endpoint`, …). */
  readonly inputs: { readonly managerMcpEndpoint: string; readonly issuerUrl: string; readonly userPoolClientId: string };

  constructor(scope: Construct, id: string, props: CoachStackProps) {
    super(scope, id);
    new StackFoundation(this, "foundation", { config: props.config });
    this.inputs = {
      managerMcpEndpoint: new TerraformLocal(this, "manager_mcp_endpoint", props.managerMcpEndpoint).asString,
      issuerUrl: new TerraformLocal(this, "issuer_url", props.auth.issuerUrl).asString,
      userPoolClientId: new TerraformLocal(this, "user_pool_client_id", props.auth.clientId).asString,
    };
  }
}
