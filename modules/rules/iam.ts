import { dataOf, resourcesOf, type Finding, type Properties, type Rule, type SynthesizedStack } from "./types";

/** An identity-policy statement, normalized from a policy document data source or JSON. */
export interface IdentityStatement {
  /** Where the policy is attached, e.g. `aws_iam_role_policy.server_role-policy_F89633E9`. */
  readonly address: string;
  readonly sid?: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
}

/**
 * Actions IAM authorizes only against `Resource: "*"` (no resource-level permissions), so a
 * wildcard resource is their only form.
 */
export const ACTIONS_WITHOUT_RESOURCE_LEVEL: ReadonlySet<string> = new Set([
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "xray:GetSamplingRules",
  "xray:GetSamplingTargets",
  "xray:GetSamplingStatisticSummaries",
]);

const DOCUMENT_REFERENCE = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/;

/**
 * Statements of every identity policy in the stack: inline role policies, managed policies and
 * roles' inline_policy blocks. Key and other resource policies are not identity policies.
 */
export function identityStatements(stack: SynthesizedStack): IdentityStatement[] {
  const documents = new Map(dataOf(stack, "aws_iam_policy_document").map((doc) => [doc.name, doc.properties]));
  const attached: { address: string; policy: unknown }[] = [
    ...resourcesOf(stack, "aws_iam_role_policy").map(({ address, properties }) => ({ address, policy: properties.policy })),
    ...resourcesOf(stack, "aws_iam_policy").map(({ address, properties }) => ({ address, policy: properties.policy })),
    ...resourcesOf(stack, "aws_iam_role").flatMap(({ address, properties }) => list(properties.inline_policy).map((inline) => ({ address, policy: (inline as Properties).policy }))),
  ];
  return attached.flatMap(({ address, policy }) => statementsOf(address, policy, documents));
}

function statementsOf(address: string, policy: unknown, documents: ReadonlyMap<string, Properties>): IdentityStatement[] {
  if (typeof policy !== "string") return [];
  const reference = DOCUMENT_REFERENCE.exec(policy);
  if (reference) {
    const document = documents.get(reference[1] as string);
    return list(document?.statement).map((raw) => {
      const statement = raw as Properties;
      return {
        address,
        sid: typeof statement.sid === "string" ? statement.sid : undefined,
        effect: typeof statement.effect === "string" ? statement.effect : "Allow",
        actions: strings(statement.actions),
        notActions: strings(statement.not_actions),
        resources: strings(statement.resources),
      };
    });
  }
  try {
    const parsed = JSON.parse(policy) as { Statement?: unknown };
    return list(parsed.Statement).map((raw) => {
      const statement = raw as Properties;
      return {
        address,
        sid: typeof statement.Sid === "string" ? statement.Sid : undefined,
        effect: typeof statement.Effect === "string" ? statement.Effect : "Allow",
        actions: strings(statement.Action),
        notActions: strings(statement.NotAction),
        resources: strings(statement.Resource),
      };
    });
  } catch {
    // An expression (e.g. jsonencode(...)) the rules cannot read: reported by the callers' review.
    return [];
  }
}

function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function strings(value: unknown): string[] {
  return list(value).filter((item): item is string => typeof item === "string");
}

/** `*`, or an ARN whose resource part is only a wildcard (`arn:aws:dynamodb:*:*:table/*`). */
export function isUnconstrainedResource(resource: string): boolean {
  if (resource === "*") return true;
  const parts = resource.split(":");
  if (parts[0] !== "arn" || parts.length < 6) return false;
  const resourcePart = parts.slice(5).join(":");
  return /^([A-Za-z-]+[/:])?\*$/.test(resourcePart);
}

const label = (statement: IdentityStatement) => (statement.sid ? `statement ${statement.sid}` : "a statement");

/**
 * checkov CKV_AWS_355: no `*` resource for actions that can be scoped. Item access, key use and
 * logging must name their tables, key and log group.
 */
export const CKV_AWS_355: Rule = {
  id: "CKV_AWS_355",
  title: "IAM policies do not allow '*' as the resource of restrictable actions",
  check: (stack) =>
    identityStatements(stack)
      .filter((statement) => statement.effect === "Allow")
      .flatMap((statement): Finding[] => {
        const wildcards = statement.resources.filter(isUnconstrainedResource);
        const restrictable = statement.actions.filter((action) => !ACTIONS_WITHOUT_RESOURCE_LEVEL.has(action));
        if (wildcards.length === 0 || restrictable.length === 0) return [];
        return [
          {
            ruleId: "CKV_AWS_355",
            address: statement.address,
            message: `${label(statement)} allows ${restrictable.join(", ")} on ${wildcards.join(", ")}; name the exact resources (table ARNs and their /index/*, the key ARN)`,
          },
        ];
      }),
};

/** checkov CKV_AWS_63 (extended to service wildcards): no wildcard actions and no NotAction in Allow statements. */
export const CKV_AWS_63: Rule = {
  id: "CKV_AWS_63",
  title: "IAM policies do not allow wildcard actions",
  check: (stack) =>
    identityStatements(stack)
      .filter((statement) => statement.effect === "Allow")
      .flatMap((statement): Finding[] => {
        const wildcards = statement.actions.filter((action) => action.includes("*"));
        const findings: Finding[] = [];
        if (wildcards.length) {
          findings.push({ ruleId: "CKV_AWS_63", address: statement.address, message: `${label(statement)} allows wildcard actions ${wildcards.join(", ")}; list the actions needed` });
        }
        if (statement.notActions.length) {
          findings.push({ ruleId: "CKV_AWS_63", address: statement.address, message: `${label(statement)} allows everything except ${statement.notActions.join(", ")} (NotAction); list the actions needed` });
        }
        return findings;
      }),
};
