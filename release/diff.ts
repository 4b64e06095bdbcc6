import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReleaseState } from "./state";

/**
 * The Terraform resources and attributes a release plan changes, found by synthesizing the
 * stacks with the old and the new state and diffing the JSON (no terraform, no AWS). The AWS
 * apply deploys exactly the stacks this names; `--dry-run` prints it.
 */
export type TerraformJson = Readonly<Record<string, unknown>>;
/** Synthesized `cdk.tf.json` of each stack, by stack name, in the manifest's order. */
export type SynthesizedStacks = Readonly<Record<string, TerraformJson>>;

export const ResourceAction = { Create: "create", Update: "update", Delete: "delete" } as const;
export type ResourceAction = (typeof ResourceAction)[keyof typeof ResourceAction];

export interface ResourceChange {
  readonly stack: string;
  /** Terraform address within the stack: `aws_lambda_alias.server_live_1A2B3C4D`. */
  readonly address: string;
  readonly action: ResourceAction;
  /** Dotted path of the changed attribute (`routing_config.additional_version_weights`); "" for create/delete. */
  readonly attribute: string;
  /** Value before (`undefined`: absent). */
  readonly before: unknown;
  /** Value after (`undefined`: absent). */
  readonly after: unknown;
}

/** Keys cdktf adds for its own bookkeeping (`"//": { metadata }`); never part of a resource's config. */
const METADATA_KEY = "//";

/** Pure: every resource attribute that differs between two syntheses, stack by stack. */
export function diffSynth(before: SynthesizedStacks, after: SynthesizedStacks): ResourceChange[] {
  const stacks = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return stacks.flatMap((stack) => diffStack(stack, resourcesOf(before[stack]), resourcesOf(after[stack])));
}

/** The stacks a change list touches, in the order they appear (the manifest's order). */
export function affectedStacks(changes: readonly ResourceChange[]): string[] {
  return [...new Set(changes.map((change) => change.stack))];
}

function resourcesOf(json: TerraformJson | undefined): Map<string, unknown> {
  const resources = new Map<string, unknown>();
  const blocks = (json?.resource ?? {}) as Record<string, Record<string, unknown>>;
  for (const [type, byName] of Object.entries(blocks)) {
    for (const [name, config] of Object.entries(byName)) resources.set(`${type}.${name}`, config);
  }
  return resources;
}

function diffStack(stack: string, before: Map<string, unknown>, after: Map<string, unknown>): ResourceChange[] {
  const changes: ResourceChange[] = [];
  const addresses = [...new Set([...before.keys(), ...after.keys()])];
  for (const address of addresses) {
    const old = before.get(address);
    const now = after.get(address);
    if (old === undefined) changes.push({ stack, address, action: ResourceAction.Create, attribute: "", before: undefined, after: withoutMetadata(now) });
    else if (now === undefined) changes.push({ stack, address, action: ResourceAction.Delete, attribute: "", before: withoutMetadata(old), after: undefined });
    else for (const leaf of diffValues(old, now, [])) changes.push({ stack, address, action: ResourceAction.Update, ...leaf });
  }
  return changes;
}

function diffValues(before: unknown, after: unknown, path: string[]): { attribute: string; before: unknown; after: unknown }[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => key !== METADATA_KEY).sort();
    return keys.flatMap((key) => diffValues(before[key], after[key], [...path, key]));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, index) => diffValues(item, after[index], [...path, String(index)]));
  }
  if (deepEqual(before, after)) return [];
  return [{ attribute: path.join("."), before, after }];
}

function withoutMetadata(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const { [METADATA_KEY]: _metadata, ...rest } = value;
  return rest;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && deepEqual(a[key], b[key]));
  }
  return false;
}

/**
 * Values a synthesis for diffing may lack: both sides get the same value, so it never shows in
 * a diff, and nothing synthesized here is deployed (cdktf deploy runs main.ts with the real
 * environment). An operator running a dry run need not hold the origin secret.
 */
const DIFF_ONLY_DEFAULTS: Readonly<Record<string, string>> = { HEALTHMATE_ORIGIN_SECRET: "diff-only-placeholder-0000000000000000000000000000" };

export interface SynthesizeOptions {
  /**
   * The variables `loadConfig` reads (region, state bucket, …); HEALTHMATE_ENV is taken from
   * the state's environment. The CLI entry passes process.env.
   */
  readonly configEnv: Readonly<Record<string, string | undefined>>;
  /**
   * A folder kept between runs where function bundles are staged: esbuild is skipped when no
   * source changed, so a dry run costs about a second.
   * @default - a folder inside the temporary outdir (every run bundles afresh)
   */
  readonly bundleCacheDirectory?: string;
  /**
   * Parent of the temporary outdir.
   * @default os.tmpdir()
   */
  readonly tempDirectory?: string;
}

/**
 * The stacks as `main.ts` would synthesize them with `state`: `new App({ outdir: <temp> })` +
 * `defineStacks`, then `<outdir>/stacks/<name>/cdk.tf.json` of every stack in the manifest.
 * The temporary outdir is removed afterwards. The stack code is imported on first use, so
 * commands that never synthesize (status) do not pay for loading it.
 */
export async function synthesizeWithState(state: ReleaseState, options: SynthesizeOptions): Promise<SynthesizedStacks> {
  const [{ App }, { defineStacks }, { loadConfig }] = await Promise.all([import("cdktf"), import("../stacks/app"), import("../modules/config")]);
  const outdir = mkdtempSync(join(options.tempDirectory ?? tmpdir(), "healthmate-release-synth-"));
  try {
    const app = new App({ outdir });
    const config = loadConfig({ ...DIFF_ONLY_DEFAULTS, ...options.configEnv, HEALTHMATE_ENV: state.environment });
    defineStacks(app, config, stackOptions(state, options.bundleCacheDirectory));
    app.synth();
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { synthesizedStackPath: string }> };
    const stacks: Record<string, TerraformJson> = {};
    for (const [name, entry] of Object.entries(manifest.stacks)) {
      stacks[name] = JSON.parse(readFileSync(join(outdir, entry.synthesizedStackPath), "utf8")) as TerraformJson;
    }
    return stacks;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The one place the release state reaches the stacks (stacks/app.ts `DefineStacksOptions`). */
function stackOptions(state: ReleaseState, bundleCacheDirectory: string | undefined): { release: ReleaseState; stagingDirectory?: string } {
  return { release: state, ...(bundleCacheDirectory ? { stagingDirectory: join(bundleCacheDirectory, "manager") } : {}) };
}
