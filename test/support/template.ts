import { Testing, type App, type TerraformStack } from "cdktf";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/**
 * A small Template-like view of a synthesized cdktf stack (in the spirit of aws-cdk's
 * assertions.Template) so stack tests assert the properties that matter in a line each.
 * Property names are Terraform's (snake_case).
 */
export type Props = Record<string, unknown>;

interface SynthesizedJson {
  resource?: Record<string, Record<string, Props>>;
  data?: Record<string, Record<string, Props>>;
  output?: Record<string, Props>;
  locals?: Record<string, unknown>;
  terraform?: Props;
  provider?: Record<string, Props[]>;
}

export class Template {
  readonly json: SynthesizedJson;

  private constructor(readonly text: string) {
    this.json = JSON.parse(text) as SynthesizedJson;
  }

  /** Testing.synth of one stack (metadata stripped, keys sorted). */
  static fromStack(stack: TerraformStack): Template {
    return new Template(Testing.synth(stack));
  }

  static fromJson(json: string | object): Template {
    return new Template(typeof json === "string" ? json : JSON.stringify(json));
  }

  /** `<outdir>/stacks/<stack>/cdk.tf.json` after app.synth(). */
  static fromSynthesizedApp(outdir: string, stackName: string): Template {
    return new Template(readFileSync(path.join(outdir, "stacks", stackName, "cdk.tf.json"), "utf8"));
  }

  /** Resources of one type by Terraform name. */
  resourcesOfType(type: string): Record<string, Props> {
    return this.json.resource?.[type] ?? {};
  }

  resourceCount(type: string): number {
    return Object.keys(this.resourcesOfType(type)).length;
  }

  /** Resources of a type whose properties contain `properties` (deep, partial on objects). */
  findResources(type: string, properties: Props = {}): Props[] {
    return Object.values(this.resourcesOfType(type)).filter((candidate) => matches(candidate, properties));
  }

  /** The one resource of a type (fails naming how many there are). */
  onlyResource(type: string): Props {
    const all = Object.values(this.resourcesOfType(type));
    if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
    return all[0] as Props;
  }

  /** Terraform name of the one resource of a type matching `properties`. */
  resourceName(type: string, properties: Props = {}): string {
    const names = Object.entries(this.resourcesOfType(type))
      .filter(([, candidate]) => matches(candidate, properties))
      .map(([name]) => name);
    if (names.length !== 1) throw new Error(`expected one ${type} matching ${JSON.stringify(properties)}, found ${names.length}`);
    return names[0] as string;
  }

  /** `${<type>.<name>.<attribute>}`: how another resource references it. */
  ref(type: string, properties: Props, attribute: string): string {
    return `\${${type}.${this.resourceName(type, properties)}.${attribute}}`;
  }

  dataOfType(type: string): Record<string, Props> {
    return this.json.data?.[type] ?? {};
  }

  outputs(): Record<string, Props> {
    return this.json.output ?? {};
  }

  output(name: string): Props {
    const value = this.json.output?.[name];
    if (!value) throw new Error(`no output ${name}; outputs are ${Object.keys(this.outputs()).join(", ")}`);
    return value;
  }
}

/** Deep partial match: objects need the given keys, arrays match element by element. */
export function matches(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((item, index) => matches(actual[index], item));
  }
  if (typeof expected === "object" && expected !== null) {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return false;
    return Object.entries(expected).every(([key, value]) => matches((actual as Props)[key], value));
  }
  return Object.is(actual, expected);
}

/** A testing App writing into its own temp folder; `cleanup()` removes it (Testing.app() leaves one per call). */
export function testApp(): { app: App; outdir: string; cleanup(): void } {
  const outdir = mkdtempSync(path.join(tmpdir(), "healthmate-synth-"));
  return { app: Testing.app({ outdir }), outdir, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}
