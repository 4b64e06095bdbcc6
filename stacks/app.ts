import type { App } from "cdktf";
import type { HealthmateConfig } from "../modules/config";
import type { ReleaseState } from "../release/state";
import { CoachStack } from "./coach";
import { ManagerStack } from "./manager";
import { UiStack } from "./ui";

/** Stack ids, in deployment order: `cdktf deploy manager coach ui`. */
export const STACK_IDS = ["manager", "coach", "ui"] as const;

export interface HealthmateStacks {
  readonly manager: ManagerStack;
  readonly coach: CoachStack;
  readonly ui: UiStack;
}

export interface DefineStacksOptions {
  /**
   * The environment's release state (main.ts reads the state file). Only Lambda aliases and
   * KeyValueStore keys depend on it.
   * @default - nothing staged: blue stable, weight 0, empty slots
   */
  readonly release?: ReleaseState;
  /**
   * Lambda entry of the MCP server, relative to the project root.
   * @default "app/manager/lambda.ts"
   */
  readonly entry?: string;
  /**
   * Where the manager bundle is staged.
   * @default - `<app outdir>/bundles/<function name>`
   */
  readonly stagingDirectory?: string;
  /**
   * Folder of the edge router's function files.
   * @default - modules/release/router
   */
  readonly routerCodeDirectory?: string;
}

/** The three stacks of one environment; cross-stack values pass as typed references. */
export function defineStacks(app: App, config: HealthmateConfig, options: DefineStacksOptions = {}): HealthmateStacks {
  const { release } = options;
  if (release && release.environment !== config.environment) {
    throw new Error(`defineStacks: the release state is for '${release.environment}' but the configuration is for '${config.environment}'`);
  }
  const manager = new ManagerStack(app, "manager", { config, release, entry: options.entry, stagingDirectory: options.stagingDirectory });
  // The coach gets manager.colourMcpEndpoints (same colour calls same colour) when it has a function.
  const coach = new CoachStack(app, "coach", { config, auth: manager.auth, managerMcpEndpoint: manager.mcpEndpoint });
  const ui = new UiStack(app, "ui", {
    config,
    auth: manager.auth,
    managerMcpEndpoint: manager.mcpEndpoint,
    managerOrigins: manager.release,
    release,
    routerCodeDirectory: options.routerCodeDirectory,
  });
  return { manager, coach, ui };
}
