import { CKV_AWS_174, CKV_AWS_34 } from "./cloudfront";
import { AWS_SOLUTIONS_COG1 } from "./cognito";
import { CKV_AWS_119, CKV_AWS_28, DYNAMODB_6 } from "./dynamodb";
import { CKV_AWS_355, CKV_AWS_63 } from "./iam";
import { CKV_AWS_258, CKV_AWS_50 } from "./lambda";
import { CKV_AWS_158, CKV_AWS_338, CKV_AWS_66 } from "./logs";
import { CKV2_AWS_6, CKV_AWS_21, CKV_AWS_53, CKV_AWS_54, CKV_AWS_55, CKV_AWS_56, S3_5 } from "./s3";
import type { Finding, Rule, SynthesizedStack } from "./types";

export type { Finding, Rule, SynthesizedStack } from "./types";
export {
  AWS_SOLUTIONS_COG1,
  CKV2_AWS_6,
  CKV_AWS_119,
  CKV_AWS_158,
  CKV_AWS_174,
  CKV_AWS_21,
  CKV_AWS_258,
  CKV_AWS_28,
  CKV_AWS_338,
  CKV_AWS_34,
  CKV_AWS_355,
  CKV_AWS_50,
  CKV_AWS_53,
  CKV_AWS_54,
  CKV_AWS_55,
  CKV_AWS_56,
  CKV_AWS_63,
  CKV_AWS_66,
  DYNAMODB_6,
  S3_5,
};

/** Every rule, by upstream ID. */
export const ALL_RULES: readonly Rule[] = [
  CKV_AWS_28,
  CKV_AWS_119,
  DYNAMODB_6,
  CKV_AWS_66,
  CKV_AWS_338,
  CKV_AWS_158,
  CKV_AWS_50,
  CKV_AWS_258,
  CKV_AWS_355,
  CKV_AWS_63,
  AWS_SOLUTIONS_COG1,
  CKV_AWS_53,
  CKV_AWS_54,
  CKV_AWS_55,
  CKV_AWS_56,
  CKV2_AWS_6,
  CKV_AWS_21,
  S3_5,
  CKV_AWS_174,
  CKV_AWS_34,
];

/** A rule deliberately not applied, with the reason on record. */
export interface Suppression {
  readonly ruleId: string;
  /** Why the finding is acceptable; shown in reports. */
  readonly reason: string;
  /**
   * Only findings on resources of this Terraform type.
   * @default - every resource the rule checks
   */
  readonly resourceType?: string;
}

export interface RuleReport {
  /** Findings that are not suppressed: the stack passes when this is empty. */
  readonly findings: readonly Finding[];
  readonly suppressed: readonly (Finding & { readonly reason: string })[];
  readonly rulesRun: readonly string[];
}

export interface RunRulesOptions {
  /**
   * Rules to run.
   * @default ALL_RULES
   */
  readonly rules?: readonly Rule[];
  /**
   * Findings accepted on purpose, each with its reason.
   * @default - none
   */
  readonly suppressions?: readonly Suppression[];
}

/** Runs the rules over one synthesized stack (cdk.tf.json text or parsed). */
export function runRules(synthesized: string | SynthesizedStack, options: RunRulesOptions = {}): RuleReport {
  const stack: SynthesizedStack = typeof synthesized === "string" ? (JSON.parse(synthesized) as SynthesizedStack) : synthesized;
  const rules = options.rules ?? ALL_RULES;
  const suppressions = options.suppressions ?? [];
  validateSuppressions(suppressions, rules);

  const findings: Finding[] = [];
  const suppressed: (Finding & { reason: string })[] = [];
  for (const rule of rules) {
    for (const finding of rule.check(stack)) {
      const suppression = suppressions.find((candidate) => candidate.ruleId === finding.ruleId && (!candidate.resourceType || finding.address.startsWith(`${candidate.resourceType}.`)));
      if (suppression) suppressed.push({ ...finding, reason: suppression.reason });
      else findings.push(finding);
    }
  }
  return { findings, suppressed, rulesRun: rules.map((rule) => rule.id) };
}

/** One line per finding, for test failures and CI logs. */
export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((finding) => `${finding.ruleId} ${finding.address}: ${finding.message}`).join("\n");
}

function validateSuppressions(suppressions: readonly Suppression[], rules: readonly Rule[]): void {
  const known = new Set(rules.map((rule) => rule.id));
  for (const suppression of suppressions) {
    if (!known.has(suppression.ruleId)) throw new Error(`runRules: suppression names unknown rule '${suppression.ruleId}'; known rules are ${[...known].join(", ")}`);
    if (suppression.reason.trim().length < 10) throw new Error(`runRules: suppression of ${suppression.ruleId} needs a reason (10+ characters), got '${suppression.reason}'`);
  }
}
