import type { ResourceChange } from "./diff";
import type { LastChange, PointerChange, ReleasePlan, StateDescription } from "./plan";

/** Text the release commands print (pure; the CLI decides where it goes). */

export function renderStatus(description: StateDescription, location: string): string {
  const traffic =
    description.canaryWeight > 0 ? `canary ${description.canaryWeight} % on ${description.candidateColour}` : `all new visitors on ${description.stableColour}`;
  const header = `${description.environment}: revision ${description.revision}, stable ${description.stableColour}, ${traffic} (state: ${location})`;
  if (description.rows.length === 0) return `${header}\nnothing released yet: run release:stage\n`;
  const table = [
    ["service", "blue", "green", "stable", "weight", "last change"],
    ...description.rows.map((row) => [
      row.service,
      row.blue ?? "-",
      row.green ?? "-",
      row.stableColour,
      `${row.canaryWeight} % ${description.candidateColour}`,
      row.lastChange ? lastChangeText(row.lastChange) : "-",
    ]),
  ];
  const hint = description.staged
    ? `${description.candidateColour} holds a staged version: release:canary N sends N % of new visitors to it`
    : `nothing staged in ${description.candidateColour}: release:stage builds the current source into it`;
  return `${header}\n${alignColumns(table)}${hint}\n`;
}

export function lastChangeText(change: LastChange): string {
  return `r${change.revision} ${change.command} ${change.at.replace(/:\d\d(\.\d+)?Z$/, "Z").replace("T", " ")} by ${change.by}`;
}

export function renderPlan(plan: ReleasePlan, options: { readonly environment: string; readonly dryRun: boolean; readonly terraform?: readonly ResourceChange[]; readonly notes?: readonly string[] }): string {
  const lines: string[] = [];
  const revision = plan.changed ? `revision ${plan.previous.revision} → ${plan.next.revision}` : `revision ${plan.previous.revision}, unchanged`;
  lines.push(`${options.dryRun ? "dry run: " : ""}release:${plan.command.kind} on ${options.environment} (${revision}${options.dryRun ? "; nothing is written" : ""})`);
  lines.push(`  ${plan.summary}`);
  for (const note of options.notes ?? []) lines.push(`  note: ${note}`);
  if (plan.changes.length > 0) {
    lines.push("  state:");
    lines.push(...indent(alignColumns(plan.changes.map((change) => [change.field, `${pointerValue(change.before)} → ${pointerValue(change.after)}`])), "    "));
  }
  if (options.terraform !== undefined) {
    const stacks = [...new Set(options.terraform.map((change) => change.stack))];
    if (options.terraform.length === 0) lines.push("  Terraform: no resource changes");
    else {
      lines.push(`  Terraform (${options.terraform.length} change(s) in ${stacks.join(", ")}):`);
      lines.push(...indent(alignColumns(options.terraform.map((change) => [change.stack, change.address, change.action === "update" ? change.attribute : change.action, changeText(change)])), "    "));
    }
  }
  return `${lines.join("\n")}\n`;
}

function changeText(change: ResourceChange): string {
  return `${terraformValue(change.before)} → ${terraformValue(change.after)}`;
}

function pointerValue(value: PointerChange["before"]): string {
  return value === null ? "(empty)" : String(value);
}

const VALUE_LIMIT = 100;

function terraformValue(value: unknown): string {
  if (value === undefined) return "(absent)";
  const text = JSON.stringify(value);
  return text.length > VALUE_LIMIT ? `${text.slice(0, VALUE_LIMIT - 1)}…` : text;
}

function alignColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) => `${row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0))).join("  ")}\n`).join("");
}

function indent(text: string, prefix: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => `${prefix}${line}`);
}
