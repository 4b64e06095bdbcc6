import { block, dataOf, isTrue, resourceRule, resourcesOf, type Finding, type Properties, type Rule, type SynthesizedStack } from "./types";

/** A public access block setting as its own rule (checkov splits them: CKV_AWS_53-56). */
const publicAccessSetting = (id: string, field: string, what: string): Rule =>
  resourceRule(id, `S3 public access blocks ${what}`, "aws_s3_bucket_public_access_block", (settings) =>
    isTrue(settings[field]) ? undefined : `${field} is ${JSON.stringify(settings[field] ?? null)}; set ${field} = true`,
  );

/** checkov CKV_AWS_53: public ACLs are refused. */
export const CKV_AWS_53 = publicAccessSetting("CKV_AWS_53", "block_public_acls", "refuse public ACLs");
/** checkov CKV_AWS_54: public bucket policies are refused. */
export const CKV_AWS_54 = publicAccessSetting("CKV_AWS_54", "block_public_policy", "refuse public bucket policies");
/** checkov CKV_AWS_55: existing public ACLs are ignored. */
export const CKV_AWS_55 = publicAccessSetting("CKV_AWS_55", "ignore_public_acls", "ignore public ACLs");
/** checkov CKV_AWS_56: access through a public policy is restricted to the account and AWS services. */
export const CKV_AWS_56 = publicAccessSetting("CKV_AWS_56", "restrict_public_buckets", "restrict public buckets");

const BUCKET_REFERENCE = /^\$\{aws_s3_bucket\.([^.]+)\.(id|bucket)\}$/;

/** Names of the buckets the resources of `type` attach to (by `bucket = aws_s3_bucket.<name>.id`), with the resource. */
function attachments(stack: SynthesizedStack, type: string): { bucket: string; properties: Properties }[] {
  return resourcesOf(stack, type).flatMap(({ properties }) => {
    const match = typeof properties.bucket === "string" ? BUCKET_REFERENCE.exec(properties.bucket) : null;
    return match ? [{ bucket: match[1] as string, properties }] : [];
  });
}

/** A rule over each bucket and the resources attached to it. */
function bucketRule(id: string, title: string, problem: (stack: SynthesizedStack, bucketName: string, bucket: Properties) => string | undefined): Rule {
  return {
    id,
    title,
    check: (stack) =>
      resourcesOf(stack, "aws_s3_bucket").flatMap(({ address, name, properties }): Finding[] => {
        const message = problem(stack, name, properties);
        return message ? [{ ruleId: id, address, message }] : [];
      }),
  };
}

/** checkov CKV2_AWS_6: every bucket has a public access block. */
export const CKV2_AWS_6 = bucketRule("CKV2_AWS_6", "S3 buckets have a public access block", (stack, name) =>
  attachments(stack, "aws_s3_bucket_public_access_block").some((attachment) => attachment.bucket === name)
    ? undefined
    : "no aws_s3_bucket_public_access_block refers to this bucket; add one with all four settings true",
);

/** checkov CKV_AWS_21: versioning is enabled (inline, or an aws_s3_bucket_versioning resource). */
export const CKV_AWS_21 = bucketRule("CKV_AWS_21", "S3 buckets have versioning enabled", (stack, name, bucket) => {
  if (isTrue(block(bucket.versioning)?.enabled)) return undefined;
  const versioning = attachments(stack, "aws_s3_bucket_versioning").find((attachment) => attachment.bucket === name);
  const status = block(versioning?.properties.versioning_configuration)?.status;
  return status === "Enabled" ? undefined : `versioning is ${JSON.stringify(status ?? "not configured")}; add aws_s3_bucket_versioning with status "Enabled"`;
});

/**
 * AWS Security Hub S3.5: the bucket policy denies requests that do not use TLS
 * (`Deny` with `Bool aws:SecureTransport = false`). Reads policies rendered from an
 * `aws_iam_policy_document` data source or written as JSON.
 */
export const S3_5 = bucketRule("S3.5", "S3 buckets require requests to use TLS", (stack, name) => {
  const policies = attachments(stack, "aws_s3_bucket_policy");
  const policy = policies.find((attachment) => attachment.bucket === name)?.properties.policy;
  if (policy === undefined) return "no bucket policy refers to this bucket; add one denying s3:* when aws:SecureTransport is false";
  return deniesInsecureTransport(stack, policy) ? undefined : "the bucket policy does not deny requests with aws:SecureTransport = false; add that Deny statement";
});

const DOCUMENT_REFERENCE = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/;

function deniesInsecureTransport(stack: SynthesizedStack, policy: unknown): boolean {
  if (typeof policy !== "string") return false;
  const reference = DOCUMENT_REFERENCE.exec(policy);
  if (reference) {
    const document = dataOf(stack, "aws_iam_policy_document").find((candidate) => candidate.name === reference[1]);
    return list(document?.properties.statement).some((raw) => {
      const statement = raw as Properties;
      return (
        statement.effect === "Deny" &&
        list(statement.condition).some((rawCondition) => {
          const condition = rawCondition as Properties;
          return condition.test === "Bool" && condition.variable === "aws:SecureTransport" && list(condition.values).includes("false");
        })
      );
    });
  }
  try {
    const parsed = JSON.parse(policy) as { Statement?: unknown };
    return list(parsed.Statement).some((raw) => {
      const statement = raw as Properties;
      const bool = (statement.Condition as Properties | undefined)?.Bool as Properties | undefined;
      return statement.Effect === "Deny" && list(bool?.["aws:SecureTransport"]).some((value) => String(value) === "false");
    });
  } catch {
    return false;
  }
}

function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
