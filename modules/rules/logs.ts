import { resourceRule } from "./types";

/** checkov CKV_AWS_66: CloudWatch log groups set a retention (the default keeps logs forever). */
export const CKV_AWS_66 = resourceRule("CKV_AWS_66", "CloudWatch log groups specify a retention", "aws_cloudwatch_log_group", (group) =>
  typeof group.retention_in_days === "number" && group.retention_in_days > 0 ? undefined : `retention_in_days is ${JSON.stringify(group.retention_in_days ?? null)}; set a retention in days`,
);

/** checkov CKV_AWS_338: CloudWatch log groups keep logs for at least one year. */
export const CKV_AWS_338 = resourceRule("CKV_AWS_338", "CloudWatch log groups retain logs for at least one year", "aws_cloudwatch_log_group", (group) =>
  typeof group.retention_in_days === "number" && group.retention_in_days >= 365 ? undefined : `retention_in_days is ${JSON.stringify(group.retention_in_days ?? null)}; keep logs for 365 days or more`,
);

/** checkov CKV_AWS_158: CloudWatch log groups are encrypted with a KMS key. */
export const CKV_AWS_158 = resourceRule("CKV_AWS_158", "CloudWatch log groups are encrypted with KMS", "aws_cloudwatch_log_group", (group) =>
  typeof group.kms_key_id === "string" && group.kms_key_id !== "" ? undefined : "kms_key_id is not set; encrypt the log group with a customer-managed key",
);
