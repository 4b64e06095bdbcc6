import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { App, AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import * as path from "node:path";
import { bundleEntry, BUNDLE_FILE, SourceMapMode, type Bundle } from "./bundle";
import { LOG_RETENTION_DAYS } from "./config";
import type { EncryptionKey } from "./key";
import { PolicyDocument, PrincipalType, type IGrantable, type PolicyStatement } from "./policy";

export enum Architecture {
  ARM_64 = "arm64",
  X86_64 = "x86_64",
}

/** Lambda runtimes this project deploys. */
export enum NodeRuntime {
  NODEJS_22 = "nodejs22.x",
}

/** Actions that support no resource-level permissions (AWS: "Resource: *" is the only form). */
export const XRAY_WRITE_ACTIONS: readonly string[] = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"];

/** Lambda manages these; a function may not set them. */
const RESERVED_ENVIRONMENT = /^(AWS_|_HANDLER$|_X_AMZN_TRACE_ID$|LAMBDA_TASK_ROOT$|LAMBDA_RUNTIME_DIR$|TZ$)/;

export interface NodeFunctionProps {
  /** Physical function name, e.g. `healthmate-manager-prod`; also names the role and log group. */
  readonly functionName: string;
  /** TypeScript entry exporting `handler`, relative to the project root (cdktf.json). */
  readonly entry: string;
  /** Days CloudWatch Logs keeps the function's logs (a value CloudWatch accepts). */
  readonly logRetentionDays: number;
  /**
   * Customer-managed key encrypting the log group; its policy must admit this log group.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: EncryptionKey;
  /**
   * Shown in the console and APIs.
   * @default - none
   */
  readonly description?: string;
  /**
   * Environment variables of the function (Lambda-reserved names are refused).
   * @default - none (plus NODE_OPTIONS with a packaged source map)
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Memory in MB, 128-10240 (CPU scales with it).
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Timeout in seconds, 1-900.
   * @default 30
   */
  readonly timeoutSeconds?: number;
  /**
   * Instruction set (Graviton is cheaper per GB-second).
   * @default Architecture.ARM_64
   */
  readonly architecture?: Architecture;
  /**
   * Lambda runtime; must match the bundle's target.
   * @default NodeRuntime.NODEJS_22
   */
  readonly runtime?: NodeRuntime;
  /**
   * Project root: the entry and source-map paths are relative to it.
   * @default process.cwd() (where cdktf.json is)
   */
  readonly projectRoot?: string;
  /**
   * Where the bundle is staged before TerraformAsset zips it.
   * @default - `<app outdir>/bundles/<functionName>`
   */
  readonly stagingDirectory?: string;
  /**
   * Source map of the bundle. PACKAGED ships it and runs node with --enable-source-maps (the
   * zip roughly doubles); EXTERNAL keeps it in the staging folder for offline use.
   * @default SourceMapMode.EXTERNAL
   */
  readonly sourceMap?: SourceMapMode;
}

/**
 * A Node.js Lambda function built from a TypeScript entry: esbuild bundles it at synth (ESM,
 * node22, minified with readable names, source map beside the package, `@aws-sdk/*` left to
 * the runtime) into a deterministic zip that `TerraformAsset` places in the stack, and the function
 * publishes a version on every change. It owns its log group (retention, optional CMK), X-Ray
 * active tracing, and a role whose inline policy starts with its own logging and tracing
 * rights; callers extend it with `addToRolePolicy` (e.g. `tables.grantItemAccess(fn)`).
 */
export class NodeFunction extends Construct implements IGrantable {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  /** The function's name (a reference, so users depend on the function). */
  readonly functionName: string;
  readonly arn: string;
  /** The latest published version number (publish = true). */
  readonly version: string;
  /** The timeout in seconds (alarms derive their duration threshold from it). */
  readonly timeoutSeconds: number;
  readonly bundle: Bundle;
  private readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    const memorySize = props.memorySize ?? 1024;
    const timeout = props.timeoutSeconds ?? 30;
    this.validateProps(props, memorySize, timeout);
    this.timeoutSeconds = timeout;
    const sourceMap = props.sourceMap ?? SourceMapMode.EXTERNAL;

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logEncryptionKey?.arn,
    });

    this.role = new IamRole(this, "role", {
      name: props.functionName,
      description: `Execution role of ${props.functionName}`,
      assumeRolePolicy: new PolicyDocument(this, "trust", {
        statements: [{ actions: ["sts:AssumeRole"], principals: [{ type: PrincipalType.SERVICE, identifiers: ["lambda.amazonaws.com"] }] }],
      }).json,
    });
    // Basic execution (own log group only) + X-Ray write; callers add the rest.
    this.policy = new PolicyDocument(this, "policy", {
      statements: [
        { sid: "OwnLogs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${this.logGroup.arn}:*`] },
        { sid: "XRayWrite", actions: XRAY_WRITE_ACTIONS, resources: ["*"] },
      ],
    });
    const rolePolicy = new IamRolePolicy(this, "role-policy", { name: "inline", role: this.role.id, policy: this.policy.json });

    const projectRoot = props.projectRoot ?? process.cwd();
    this.bundle = bundleEntry({
      entry: props.entry,
      projectRoot,
      stagingDirectory: path.resolve(props.stagingDirectory ?? path.join(App.of(this).outdir, "bundles", props.functionName)),
      sourceMap,
    });
    // A FILE asset of our own deterministic zip: no archiver child process, and the hash Lambda
    // reports (CodeSha256) equals source_code_hash, so unchanged code never shows a diff.
    const asset = new TerraformAsset(this, "code", { path: this.bundle.zipFile, type: AssetType.FILE });

    const packagedMap = sourceMap === SourceMapMode.PACKAGED;
    const environment: Record<string, string> = { ...(packagedMap ? { NODE_OPTIONS: "--enable-source-maps" } : {}), ...props.environment };
    this.function = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: props.description,
      role: this.role.arn,
      runtime: props.runtime ?? NodeRuntime.NODEJS_22,
      architectures: [props.architecture ?? Architecture.ARM_64],
      handler: `${path.basename(BUNDLE_FILE, ".mjs")}.handler`,
      filename: asset.path,
      sourceCodeHash: this.bundle.zipSha256,
      memorySize,
      timeout,
      publish: true,
      environment: { variables: environment },
      tracingConfig: { mode: "Active" },
      loggingConfig: { logFormat: "Text", logGroup: this.logGroup.name },
      // The log group (with its retention) and the permissions exist before the first invocation.
      dependsOn: [this.logGroup, rolePolicy],
    });
    this.functionName = this.function.functionName;
    this.arn = this.function.arn;
    this.version = this.function.version;
  }

  addToRolePolicy(statement: PolicyStatement): void {
    this.policy.addStatements(statement);
  }

  private validateProps(props: NodeFunctionProps, memorySize: number, timeout: number): void {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(props.functionName)) {
      throw new Error(`NodeFunction: functionName must be 1-64 letters, digits, '-' or '_', got '${props.functionName}'`);
    }
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
      throw new Error(`NodeFunction: memorySize must be an integer 128-10240 MB, got ${memorySize}`);
    }
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 900) {
      throw new Error(`NodeFunction: timeoutSeconds must be an integer 1-900, got ${timeout}`);
    }
    if (!LOG_RETENTION_DAYS.includes(props.logRetentionDays)) {
      throw new Error(`NodeFunction: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}, got ${props.logRetentionDays}`);
    }
    for (const name of Object.keys(props.environment ?? {})) {
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name) || RESERVED_ENVIRONMENT.test(name)) {
        throw new Error(`NodeFunction: environment variable '${name}' is not allowed; use letters, digits and '_' and avoid names Lambda reserves (AWS_*, _HANDLER, TZ, …)`);
      }
    }
  }
}
