import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LocalBackend, S3Backend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { HealthmateConfig } from "./config";

/**
 * hashicorp/aws versions the stacks accept. 6.29 added `invoked_via_function_url` to
 * aws_lambda_permission (needed by public function URLs since October 2025); the generated
 * bindings (@cdktf/provider-aws 21.22.1) describe 6.25 and would otherwise pin exactly that.
 */
export const AWS_PROVIDER_VERSION = ">= 6.29.0, < 7.0.0";

/**
 * Terraform runs each stack in `cdktf.out/stacks/<stack>`; local state files live three levels
 * up, next to cdktf.json. Relative, so the synthesized JSON is the same in every checkout.
 */
export const LOCAL_STATE_DIRECTORY = "../../..";

export interface StackFoundationProps {
  readonly config: HealthmateConfig;
}

/**
 * What every Healthmate stack needs before its own resources: the AWS provider (region, default
 * tags) and the state backend — S3 with native locking when a state bucket is configured,
 * otherwise a local file per stack and environment.
 */
export class StackFoundation extends Construct {
  readonly provider: AwsProvider;

  constructor(scope: Construct, id: string, props: StackFoundationProps) {
    super(scope, id);
    const stack = TerraformStack.of(this);
    const stackName = stack.node.id;
    const { config } = props;

    this.provider = new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: [{ tags: { Project: "healthmate", Environment: config.environment, Stack: stackName, ManagedBy: "cdktf" } }],
    });
    stack.addOverride("terraform.required_providers.aws.version", AWS_PROVIDER_VERSION);

    if (config.remoteState) {
      const backend = new S3Backend(stack, {
        bucket: config.remoteState.bucket,
        key: `${config.remoteState.keyPrefix}/${config.environment}/${stackName}.tfstate`,
        region: config.remoteState.region,
        encrypt: true,
      });
      // S3-native state locking (Terraform >= 1.10); S3Backend has no prop for it.
      backend.addOverride("use_lockfile", true);
    } else {
      new LocalBackend(stack, { path: `${LOCAL_STATE_DIRECTORY}/terraform.${stackName}.${config.environment}.tfstate` });
    }
  }
}
