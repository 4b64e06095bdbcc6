import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Construct } from "constructs";
import type { NodeFunction } from "./function";

/**
 * Who may call a function URL.
 * - NONE: anyone reaches the code; the application authenticates every request itself.
 * - AWS_IAM: callers sign requests with SigV4.
 */
export enum FunctionUrlAuth {
  NONE = "NONE",
  AWS_IAM = "AWS_IAM",
}

export enum InvokeMode {
  /** The whole response is returned at once (up to 6 MB). */
  BUFFERED = "BUFFERED",
  RESPONSE_STREAM = "RESPONSE_STREAM",
}

export interface FunctionUrlEndpointProps {
  readonly function: NodeFunction;
  /** Deliberate choice, no default: see FunctionUrlAuth. */
  readonly auth: FunctionUrlAuth;
  /**
   * Alias the URL serves.
   * @default "live"
   */
  readonly aliasName?: string;
  /**
   * Published version the alias points at. The release state becomes the one owner of this
   * pointer (ARCHITECTURE §4, STYLE §12); until then the alias follows the latest version.
   * @default - the function's latest published version
   */
  readonly functionVersion?: string;
  /**
   * Whole responses, or streamed ones (the coach streams).
   * @default InvokeMode.BUFFERED
   */
  readonly invokeMode?: InvokeMode;
}

/**
 * An HTTPS endpoint for a function: an alias on a published version and a Lambda function URL on
 * that alias, so a deploy that publishes a new version changes what callers reach only when the
 * alias moves.
 */
export class FunctionUrlEndpoint extends Construct {
  readonly alias: LambdaAlias;
  readonly functionUrl: LambdaFunctionUrl;
  /** `https://<id>.lambda-url.<region>.on.aws/` (with the trailing slash). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: FunctionUrlEndpointProps) {
    super(scope, id);
    const aliasName = props.aliasName ?? "live";
    this.validateAliasName(aliasName);

    this.alias = new LambdaAlias(this, "alias", {
      name: aliasName,
      functionName: props.function.functionName,
      functionVersion: props.functionVersion ?? props.function.version,
      description: `What ${aliasName} callers reach`,
    });

    this.functionUrl = new LambdaFunctionUrl(this, "url", {
      functionName: props.function.functionName,
      qualifier: this.alias.name,
      authorizationType: props.auth,
      invokeMode: props.invokeMode ?? InvokeMode.BUFFERED,
    });
    this.url = this.functionUrl.functionUrl;

    if (props.auth === FunctionUrlAuth.NONE) {
      // Since October 2025 a public function URL needs lambda:InvokeFunction (limited to URL
      // invocations) besides the lambda:InvokeFunctionUrl statement aws_lambda_function_url adds
      // itself (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html). The
      // invoked_via_function_url argument exists from hashicorp/aws 6.29 (the stacks require it);
      // the generated bindings (6.25) predate it, hence the override.
      const invoke = new LambdaPermission(this, "invoke-via-url", {
        statementId: "FunctionUrlInvokeFunction",
        action: "lambda:InvokeFunction",
        functionName: props.function.functionName,
        qualifier: this.alias.name,
        principal: "*",
        dependsOn: [this.functionUrl],
      });
      invoke.addOverride("invoked_via_function_url", true);
    }
  }

  private validateAliasName(name: string): void {
    if (!/^(?!^[0-9]+$)[A-Za-z0-9_-]{1,128}$/.test(name)) {
      throw new Error(`FunctionUrlEndpoint: aliasName must be 1-128 letters, digits, '-' or '_' and not only digits, got '${name}'`);
    }
  }
}
