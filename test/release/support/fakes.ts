import { readFileSync, writeFileSync } from "node:fs";
import { awsApplier, type AwsApplierProps } from "../../../release/apply/aws";
import { runCli, type CliDeps } from "../../../release/cli";
import { FileStateStore } from "../../../release/store";
import type { SynthesizedStacks } from "../../../release/diff";
import { candidateColour, type ReleaseState } from "../../../release/state";

/**
 * What main.ts would render for a state, reduced to the parts the release touches: the manager's
 * colour and live aliases and the ui stack's KeyValueStore keys (and a distribution that never
 * changes). Enough for the diff, the dry run and the stack selection without a real synth.
 */
export function fakeSynth(state: ReleaseState): SynthesizedStacks {
  const manager = state.services.manager;
  const stableVersion = manager?.[state.stableColour] ?? "$LATEST";
  const candidateVersion = manager?.[candidateColour(state)];
  const weights = state.canaryWeight > 0 && candidateVersion ? { routing_config: { additional_version_weights: { [candidateVersion]: state.canaryWeight / 100 } } } : {};
  return {
    coach: { resource: {} },
    manager: {
      resource: {
        aws_lambda_function: { server: { function_name: "healthmate-manager-dev", publish: true } },
        aws_lambda_alias: {
          blue: { name: "blue", function_version: manager?.blue ?? "$LATEST" },
          green: { name: "green", function_version: manager?.green ?? "$LATEST" },
          live: { name: "live", function_version: stableVersion, ...weights, "//": { metadata: { path: "manager/live" } } },
        },
      },
    },
    ui: {
      resource: {
        aws_cloudfront_distribution: { site: { enabled: true, origin: [{ origin_id: "manager-blue" }, { origin_id: "manager-green" }] } },
        aws_cloudfrontkeyvaluestore_key: {
          canary_weight: { key: "canary_weight", value: String(state.canaryWeight) },
          stable_colour: { key: "stable_colour", value: state.stableColour },
          ui_version_blue: { key: "ui_version_blue", value: state.services.ui?.blue ?? "-" },
          ui_version_green: { key: "ui_version_green", value: state.services.ui?.green ?? "-" },
        },
      },
    },
  };
}

/** The release CLI wired to an AWS applier and a state file, non-interactive, output captured. */
export interface AwsCliHarness {
  readonly file: string;
  run(...argv: string[]): Promise<number>;
  state(): ReleaseState;
  out(): string;
  err(): string;
}

export function awsCli(props: AwsApplierProps, file: string, options: { now: Date; initial?: ReleaseState }): AwsCliHarness {
  if (options.initial) writeFileSync(file, JSON.stringify(options.initial));
  let out = "";
  let err = "";
  const deps: CliDeps = {
    stores: (environment) => new FileStateStore({ path: file, environment }),
    appliers: () => awsApplier(props),
    synthesize: props.synthesize,
    clock: () => options.now,
    actor: "ops@host",
    stdout: (text) => void (out += text),
    stderr: (text) => void (err += text),
    isTTY: false,
    confirm: async () => false,
  };
  return {
    file,
    run: (...argv) => runCli(argv, deps),
    state: () => JSON.parse(readFileSync(file, "utf8")) as ReleaseState,
    out: () => out,
    err: () => err,
  };
}
