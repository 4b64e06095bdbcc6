/**
 * Security rules over synthesized Terraform JSON (cdk.tf.json): each rule is a small pure
 * function named by its upstream ID (checkov CKV_AWS_*, AWS Security Hub controls, cdk-nag
 * AwsSolutions-*), like cdk-nag's rule packs but for cdktf output.
 */
export type Properties = Readonly<Record<string, unknown>>;

/** The parts of a synthesized stack the rules read. */
export interface SynthesizedStack {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Properties>>>>;
  readonly data?: Readonly<Record<string, Readonly<Record<string, Properties>>>>;
}

export interface Finding {
  readonly ruleId: string;
  /** Terraform address, e.g. `aws_dynamodb_table.tables_users_C9ACA728`. */
  readonly address: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

export interface Rule {
  /** Upstream ID, e.g. `CKV_AWS_28`. */
  readonly id: string;
  readonly title: string;
  check(stack: SynthesizedStack): Finding[];
}

export interface Addressed {
  readonly address: string;
  readonly name: string;
  readonly properties: Properties;
}

/** Every resource of one type, with its Terraform address. */
export function resourcesOf(stack: SynthesizedStack, type: string): Addressed[] {
  return Object.entries(stack.resource?.[type] ?? {}).map(([name, properties]) => ({ address: `${type}.${name}`, name, properties }));
}

export function dataOf(stack: SynthesizedStack, type: string): Addressed[] {
  return Object.entries(stack.data?.[type] ?? {}).map(([name, properties]) => ({ address: `data.${type}.${name}`, name, properties }));
}

/** A nested block: cdktf writes single blocks as objects and repeatable ones as lists. */
export function block(value: unknown): Properties | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "object" && first !== null ? (first as Properties) : undefined;
}

export function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

/** Builds a rule from a resource type and a per-resource check returning a problem or nothing. */
export function resourceRule(id: string, title: string, type: string, problem: (properties: Properties) => string | undefined): Rule {
  return {
    id,
    title,
    check: (stack) =>
      resourcesOf(stack, type).flatMap(({ address, properties }) => {
        const message = problem(properties);
        return message ? [{ ruleId: id, address, message }] : [];
      }),
  };
}
