import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { Construct } from "constructs";

export interface AwsAccountProps {
  /** The stack's region (from configuration, so names and ARNs are known at synth). */
  readonly region: string;
}

/**
 * The account, partition and region a stack deploys into, for ARNs and service principals.
 * Account id and partition are read at plan time (data sources), never hard-coded.
 */
export class AwsAccount extends Construct {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  /** `amazonaws.com` (or the partition's suffix). */
  readonly dnsSuffix: string;

  constructor(scope: Construct, id: string, props: AwsAccountProps) {
    super(scope, id);
    this.region = props.region;
    this.accountId = new DataAwsCallerIdentity(this, "caller").accountId;
    const partition = new DataAwsPartition(this, "partition");
    this.partition = partition.partition;
    this.dnsSuffix = partition.dnsSuffix;
  }

  /** `arn:<partition>:<service>:<region>:<account>:<resource>`. */
  arn(service: string, resource: string, options: { global?: boolean } = {}): string {
    return `arn:${this.partition}:${service}:${options.global ? "" : this.region}:${this.accountId}:${resource}`;
  }

  /** Service principal in this region, e.g. `logs.us-west-2.amazonaws.com`. */
  regionalServicePrincipal(service: string): string {
    return `${service}.${this.region}.${this.dnsSuffix}`;
  }
}
