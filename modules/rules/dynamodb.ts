import { block, isTrue, resourceRule } from "./types";

/** checkov CKV_AWS_28: DynamoDB point-in-time recovery (backups of every second, 35 days). */
export const CKV_AWS_28 = resourceRule("CKV_AWS_28", "DynamoDB tables have point-in-time recovery enabled", "aws_dynamodb_table", (table) =>
  isTrue(block(table.point_in_time_recovery)?.enabled) ? undefined : "point_in_time_recovery is not enabled; set point_in_time_recovery { enabled = true }",
);

/** checkov CKV_AWS_119: DynamoDB encrypted with a customer-managed KMS key. */
export const CKV_AWS_119 = resourceRule("CKV_AWS_119", "DynamoDB tables are encrypted with a customer-managed KMS key", "aws_dynamodb_table", (table) => {
  const encryption = block(table.server_side_encryption);
  if (!isTrue(encryption?.enabled)) return "server_side_encryption is not enabled (AWS-owned key); enable it with kms_key_arn of a customer-managed key";
  if (typeof encryption?.kms_key_arn !== "string" || encryption.kms_key_arn === "") return "server_side_encryption has no kms_key_arn (AWS-managed key); set a customer-managed key";
  return undefined;
});

/** AWS Security Hub DynamoDB.6: deletion protection on tables. */
export const DYNAMODB_6 = resourceRule("DynamoDB.6", "DynamoDB tables have deletion protection enabled", "aws_dynamodb_table", (table) =>
  isTrue(table.deletion_protection_enabled) ? undefined : `deletion_protection_enabled is ${JSON.stringify(table.deletion_protection_enabled ?? null)}; set it to true`,
);
