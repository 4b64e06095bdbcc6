import type { App } from "cdktf";
import type { HealthmateConfig } from "../modules/config";
import { CoachStack } from "./coach";
import { ManagerStack, type ManagerStackProps } from "./manager";
import { UiStack } from "./ui";

/** Stack ids, in deployment order: `cdktf deploy manager coach ui`. */
export const STACK_IDS = ["manager", "coach", "ui"] as const;

export interface HealthmateStacks {
  readonly manager: ManagerStack;
  readonly coach: CoachStack;
  readonly ui: UiStack;
}

/** The three stacks of one environment; cross-stack values pass as typed references. */
export function defineStacks(app: App, config: HealthmateConfig, managerOptions: Omit<ManagerStackProps, "config"> = {}): HealthmateStacks {
  const manager = new ManagerStack(app, "manager", { config, ...managerOptions });
  const coach = new CoachStack(app, "coach", { config, auth: manager.auth, managerMcpEndpoint: manager.mcpEndpoint });
  const ui = new UiStack(app, "ui", { config, auth: manager.auth, managerMcpEndpoint: manager.mcpEndpoint });
  return { manager, coach, ui };
}
