import { block, isTrue, resourceRule } from "./types";

/** Healthmate's bar: cdk-nag asks for 8 characters, ARCHITECTURE §2 for 12. */
export const MINIMUM_PASSWORD_LENGTH = 12;

/**
 * cdk-nag AwsSolutions-COG1: the user pool's password policy demands length and every character
 * class (uppercase, lowercase, numbers, symbols).
 */
export const AWS_SOLUTIONS_COG1 = resourceRule("AwsSolutions-COG1", "Cognito user pools require strong passwords", "aws_cognito_user_pool", (pool) => {
  const policy = block(pool.password_policy);
  if (!policy) return `password_policy is not set; require at least ${MINIMUM_PASSWORD_LENGTH} characters and every character class`;
  const problems: string[] = [];
  const length = policy.minimum_length;
  if (typeof length !== "number" || length < MINIMUM_PASSWORD_LENGTH) problems.push(`minimum_length is ${JSON.stringify(length ?? null)} (at least ${MINIMUM_PASSWORD_LENGTH})`);
  for (const field of ["require_uppercase", "require_lowercase", "require_numbers", "require_symbols"]) {
    if (!isTrue(policy[field])) problems.push(`${field} is not true`);
  }
  return problems.length ? `password_policy is too weak: ${problems.join(", ")}` : undefined;
});
