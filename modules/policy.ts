import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { Construct } from "constructs";

/**
 * IAM policy statements as typed values, rendered through the `aws_iam_policy_document` data
 * source so the synthesized JSON keeps actions and resources as lists the rules (modules/rules)
 * can read, and Terraform validates the document shape at plan time.
 */
export enum Effect {
  ALLOW = "Allow",
  DENY = "Deny",
}

export enum PrincipalType {
  AWS = "AWS",
  SERVICE = "Service",
}

export interface PolicyCondition {
  /** Condition operator, e.g. `StringEquals`, `ArnLike`, `Bool`. */
  readonly test: string;
  /** Condition key, e.g. `kms:ViaService`. */
  readonly variable: string;
  readonly values: readonly string[];
}

export interface PolicyPrincipal {
  readonly type: PrincipalType;
  readonly identifiers: readonly string[];
}

export interface PolicyStatement {
  /**
   * Statement id: letters and digits only.
   * @default - none
   */
  readonly sid?: string;
  /**
   * Allow or deny.
   * @default Effect.ALLOW
   */
  readonly effect?: Effect;
  /** `service:Action` names. */
  readonly actions: readonly string[];
  /**
   * Resources the actions apply to; required in identity policies.
   * @default - none (trust policies name no resource)
   */
  readonly resources?: readonly string[];
  /**
   * Who the statement is about; only in resource and trust policies.
   * @default - none (identity policy)
   */
  readonly principals?: readonly PolicyPrincipal[];
  /**
   * Conditions that must all hold.
   * @default - unconditional
   */
  readonly conditions?: readonly PolicyCondition[];
}

/** Anything that can be granted permissions (a function's role). */
export interface IGrantable {
  addToRolePolicy(statement: PolicyStatement): void;
}

export interface PolicyDocumentProps {
  /**
   * Initial statements.
   * @default - empty; add with addStatements
   */
  readonly statements?: readonly PolicyStatement[];
}

const ACTION_PATTERN = /^[a-z0-9-]+:[A-Za-z0-9*]+$/;
const SID_PATTERN = /^[A-Za-z0-9]*$/;

/** A policy document whose statements can be extended until synth. `json` is its rendered text. */
export class PolicyDocument extends Construct {
  private readonly statements: PolicyStatement[] = [];
  private readonly document: DataAwsIamPolicyDocument;

  constructor(scope: Construct, id: string, props: PolicyDocumentProps = {}) {
    super(scope, id);
    this.document = new DataAwsIamPolicyDocument(this, "document", {});
    this.addStatements(...(props.statements ?? []));
  }

  addStatements(...statements: PolicyStatement[]): void {
    for (const statement of statements) validateStatement(statement);
    this.statements.push(...statements);
    this.document.putStatement(this.statements.map(toDocumentStatement));
  }

  /** The rendered policy JSON (a Terraform reference). */
  get json(): string {
    return this.document.json;
  }

  get statementCount(): number {
    return this.statements.length;
  }
}

function validateStatement(statement: PolicyStatement): void {
  if (statement.actions.length === 0) throw new Error("PolicyStatement: actions must name at least one action, got []");
  const resources = statement.resources ?? [];
  if (resources.length === 0 && !statement.principals?.length) {
    throw new Error(`PolicyStatement: resources must name at least one resource for ${statement.actions.join(", ")}, got none`);
  }
  for (const action of statement.actions) {
    if (!ACTION_PATTERN.test(action)) throw new Error(`PolicyStatement: actions must be 'service:Action', got '${action}'`);
  }
  if (statement.sid !== undefined && !SID_PATTERN.test(statement.sid)) {
    throw new Error(`PolicyStatement: sid may hold only letters and digits, got '${statement.sid}'`);
  }
}

function toDocumentStatement(statement: PolicyStatement): DataAwsIamPolicyDocumentStatement {
  return {
    sid: statement.sid,
    effect: statement.effect ?? Effect.ALLOW,
    actions: [...statement.actions],
    resources: statement.resources ? [...statement.resources] : undefined,
    principals: statement.principals?.map((principal) => ({ type: principal.type, identifiers: [...principal.identifiers] })),
    condition: statement.conditions?.map((condition) => ({ test: condition.test, variable: condition.variable, values: [...condition.values] })),
  };
}
