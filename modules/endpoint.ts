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
   * Other published versions the alias sends a share of invocations to, as version → weight
   * (0 < weight ≤ 1): Lambda's weighted alias routing (`routing_config`).
   * @default - none: every invocation runs functionVersion
   */
  readonly additionalVersionWeights?: Readonly<Record<string, number>>;
  /**
   * Alias description.
   * @default "What <alias> callers reach"
   */
  readonly description?: string;
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
    const functionVersion = props.functionVersion ?? props.function.version;
    const weights = props.additionalVersionWeights ?? {};
    this.validateWeights(weights, functionVersion);

    this.alias = new LambdaAlias(this, "alias", {
      name: aliasName,
      functionName: props.function.functionName,
      functionVersion,
      description: props.description ?? `What ${aliasName} callers reach`,
      // Absent, not empty, at no weight: the provider then sends an empty routing configuration,
      // which clears the weights (and waits until Lambda reports them cleared).
      routingConfig: Object.keys(weights).length > 0 ? { additionalVersionWeights: { ...weights } } : undefined,
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

  private validateWeights(weights: Readonly<Record<string, number>>, functionVersion: string): void {
    const entries = Object.entries(weights);
    // Lambda routes an alias to at most two versions: its own and one more.
    if (entries.length > 1) throw new Error(`FunctionUrlEndpoint: additionalVersionWeights may name one version, got ${entries.map(([version]) => version).join(", ")}`);
    for (const [version, weight] of entries) {
      if (!/^[0-9]+$/.test(version)) throw new Error(`FunctionUrlEndpoint: additionalVersionWeights keys must be published version numbers, got '${version}'`);
      if (version === functionVersion) throw new Error(`FunctionUrlEndpoint: additionalVersionWeights names the alias's own version ${version}; give another version or no weights`);
      if (!(weight > 0 && weight <= 1)) throw new Error(`FunctionUrlEndpoint: additional version weight must be in (0, 1], got ${weight} for version ${version}`);
    }
  }

  private validateAliasName(name: string): void {
    if (!/^(?!^[0-9]+$)[A-Za-z0-9_-]{1,128}$/.test(name)) {
      throw new Error(`FunctionUrlEndpoint: aliasName must be 1-128 letters, digits, '-' or '_' and not only digits, got '${name}'`);
    }
  }
}
