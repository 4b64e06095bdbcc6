import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct } from "constructs";
import type { AwsAccount } from "./account";
import { physicalName, type Environment } from "./config";
import { PolicyDocument, PrincipalType, type IGrantable } from "./policy";

export interface EncryptionKeyProps {
  readonly environment: Environment;
  readonly account: AwsAccount;
  /** Logical name; the alias is `alias/healthmate-<logical>-<env>`. */
  readonly logicalName: string;
  readonly description: string;
  /**
   * Log group names (may end in `*`) CloudWatch Logs may encrypt with this key.
   * @default - none: the key cannot encrypt log groups
   */
  readonly logGroupNamePatterns?: readonly string[];
  /**
   * Let CloudWatch alarms publish to SNS topics encrypted with this key.
   * @default false
   */
  readonly allowCloudWatchAlarms?: boolean;
  /**
   * Waiting period before a scheduled deletion completes, 7-30 days.
   * @default 30
   */
  readonly deletionWindowInDays?: number;
  /**
   * Days between automatic rotations, 90-2560.
   * @default 365
   */
  readonly rotationPeriodInDays?: number;
}

/**
 * A customer-managed KMS key with automatic rotation. Its key policy keeps account
 * administration with IAM (the default key policy) and adds only the service principals a
 * caller asks for; principals in the account get use of the key through IAM grants below.
 */
export class EncryptionKey extends Construct {
  readonly key: KmsKey;
  readonly arn: string;
  readonly aliasName: string;
  private readonly account: AwsAccount;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const deletionWindowInDays = props.deletionWindowInDays ?? 30;
    const rotationPeriodInDays = props.rotationPeriodInDays ?? 365;
    this.validateRanges(deletionWindowInDays, rotationPeriodInDays);
    this.account = props.account;
    const account = props.account;

    const policy = new PolicyDocument(this, "policy", {
      statements: [
        {
          sid: "AccountAdministration",
          actions: ["kms:*"],
          resources: ["*"],
          principals: [{ type: PrincipalType.AWS, identifiers: [`arn:${account.partition}:iam::${account.accountId}:root`] }],
        },
      ],
    });
    const logGroupPatterns = props.logGroupNamePatterns ?? [];
    if (logGroupPatterns.length > 0) {
      policy.addStatements({
        sid: "CloudWatchLogsEncryption",
        actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"],
        resources: ["*"],
        principals: [{ type: PrincipalType.SERVICE, identifiers: [account.regionalServicePrincipal("logs")] }],
        conditions: [{ test: "ArnLike", variable: "kms:EncryptionContext:aws:logs:arn", values: logGroupPatterns.map((name) => account.arn("logs", `log-group:${name}`)) }],
      });
    }
    if (props.allowCloudWatchAlarms) {
      policy.addStatements({
        sid: "CloudWatchAlarmsToEncryptedTopics",
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: ["*"],
        principals: [{ type: PrincipalType.SERVICE, identifiers: ["cloudwatch.amazonaws.com"] }],
        conditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [account.accountId] }],
      });
    }

    this.key = new KmsKey(this, "key", {
      description: props.description,
      enableKeyRotation: true,
      rotationPeriodInDays,
      deletionWindowInDays,
      policy: policy.json,
    });
    this.arn = this.key.arn;
    this.aliasName = `alias/${physicalName(props.logicalName, props.environment)}`;
    new KmsAlias(this, "alias", { name: this.aliasName, targetKeyId: this.key.keyId });
  }

  /**
   * Lets the grantee encrypt and decrypt through one AWS service only (e.g. `dynamodb`), so the
   * permission cannot be used to call KMS directly.
   */
  grantEncryptDecryptVia(grantee: IGrantable, service: string): void {
    grantee.addToRolePolicy({
      sid: `KeyUseVia${service.charAt(0).toUpperCase()}${service.slice(1).replace(/[^A-Za-z0-9]/g, "")}`,
      actions: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
      resources: [this.arn],
      conditions: [{ test: "StringEquals", variable: "kms:ViaService", values: [this.account.regionalServicePrincipal(service)] }],
    });
  }

  private validateRanges(deletionWindowInDays: number, rotationPeriodInDays: number): void {
    if (!Number.isInteger(deletionWindowInDays) || deletionWindowInDays < 7 || deletionWindowInDays > 30) {
      throw new Error(`EncryptionKey: deletionWindowInDays must be an integer 7-30, got ${deletionWindowInDays}`);
    }
    if (!Number.isInteger(rotationPeriodInDays) || rotationPeriodInDays < 90 || rotationPeriodInDays > 2560) {
      throw new Error(`EncryptionKey: rotationPeriodInDays must be an integer 90-2560, got ${rotationPeriodInDays}`);
    }
  }
}
