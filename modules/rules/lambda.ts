import { block, resourceRule } from "./types";

/** checkov CKV_AWS_50: Lambda functions trace with X-Ray (tracing_config mode Active). */
export const CKV_AWS_50 = resourceRule("CKV_AWS_50", "Lambda functions have X-Ray active tracing", "aws_lambda_function", (fn) => {
  const mode = block(fn.tracing_config)?.mode;
  return mode === "Active" ? undefined : `tracing_config.mode is ${JSON.stringify(mode ?? null)}; set tracing_config { mode = "Active" }`;
});

/** checkov CKV_AWS_258: Lambda function URLs require IAM authentication. */
export const CKV_AWS_258 = resourceRule("CKV_AWS_258", "Lambda function URLs use AWS_IAM authorization", "aws_lambda_function_url", (url) =>
  url.authorization_type === "AWS_IAM" ? undefined : `authorization_type is ${JSON.stringify(url.authorization_type ?? null)}; use AWS_IAM or suppress with the application's own authentication named`,
);
